import { GATESTACK_VERSION } from "../version.js";
import type { ImageKey, StackConfig } from "./schema.js";

/**
 * Default image for each component. compose.yaml names these; `stack up` builds the gateway
 * and the FastAPI services locally, everything else is pulled (or, offline, provided by the
 * stand-ins from test/e2e/images/build-offline.sh tagged with exactly these names).
 * stack.yaml `images:` overrides any of them.
 */
export const DEFAULT_IMAGES: Record<ImageKey, string> = {
  caddy: "caddy:2.8",
  gateway: `gatestack/gateway:${GATESTACK_VERSION}`,
  kong: "kong:3.9",
  python: "python:3.12-slim",
  prometheus: "prom/prometheus:v2.53.2",
  grafana: "grafana/grafana:11.2.0",
  elasticsearch: "docker.elastic.co/elasticsearch/elasticsearch:8.15.0",
  logstash: "docker.elastic.co/logstash/logstash:8.15.0",
  kibana: "docker.elastic.co/kibana/kibana:8.15.0",
  jenkins: "jenkins/jenkins:2.568.2-lts-jdk21",
  redis: "redis:7",
  postgres: "postgres:15",
};

/** Base image the gateway Dockerfile builds FROM (ARG NODE_IMAGE). */
export const DEFAULT_NODE_IMAGE = "node:22-slim";

export function imageFor(stack: Pick<StackConfig, "images">, key: ImageKey): string {
  return stack.images[key] ?? DEFAULT_IMAGES[key];
}
