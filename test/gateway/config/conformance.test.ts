/**
 * Cross-check with decK's JSON Schema of Kong declarative configuration (shared conformance
 * fixture): realistic kong.yml documents are accepted by both decK's schema and our loader,
 * and structurally wrong ones are rejected by both (decK's schema checks structure and
 * types; value ranges such as ports are checked by Kong itself, and by our loader).
 */
import { readFileSync } from "node:fs";
import AjvDraft04Module from "ajv-draft-04";
import { describe, expect, it } from "vitest";
import { parseDeclarativeConfig } from "../../../src/gateway/config/load.js";
import { fakeLookup } from "../support/config.js";

/** ajv-draft-04 is CommonJS: under NodeNext typing its class is the `default` property. */
const AjvDraft04 = AjvDraft04Module.default;
const schemaPath = new URL("../../conformance/kong-declarative.schema.json", import.meta.url);
const validate = new AjvDraft04({ allErrors: true, strict: false }).compile(
  JSON.parse(readFileSync(schemaPath, "utf8")) as object,
);

const GOOD: Record<string, object> = {
  "monolith behind key-auth and rate-limiting": {
    _format_version: "3.0",
    services: [
      {
        name: "app",
        url: "http://app:8000",
        retries: 3,
        connect_timeout: 5000,
        routes: [
          { name: "api", paths: ["/api"], strip_path: false, methods: ["GET", "POST"] },
          { name: "health", paths: ["~/healthz$"], protocols: ["http"] },
        ],
        plugins: [{ name: "key-auth", config: { key_names: ["x-api-key"], hide_credentials: true } }],
      },
    ],
    consumers: [{ username: "demo", keyauth_credentials: [{ key: "demo-key" }], tags: ["demo"] }],
    plugins: [{ name: "rate-limiting", config: { minute: 100 } }],
  },
  "microservices with an upstream and health checks": {
    _format_version: "3.0",
    upstreams: [
      {
        name: "orders.upstream",
        algorithm: "least-connections",
        healthchecks: {
          active: {
            http_path: "/health",
            healthy: { interval: 5, successes: 2 },
            unhealthy: { interval: 5, http_failures: 3 },
          },
          passive: { unhealthy: { http_failures: 5, timeouts: 2 } },
        },
        targets: [
          { target: "orders-1:8000", weight: 100 },
          { target: "orders-2:8000", weight: 50 },
        ],
      },
    ],
    services: [
      {
        name: "orders",
        host: "orders.upstream",
        port: 8000,
        protocol: "http",
        routes: [{ name: "orders", paths: ["/orders"] }],
      },
      {
        name: "users",
        url: "http://users:8000",
        routes: [
          {
            name: "users",
            hosts: ["api.example.com", "*.example.org"],
            paths: ["/users"],
            headers: { "x-version": ["v1", "v2"] },
          },
        ],
      },
    ],
  },
  "top-level entities referencing by name": {
    _format_version: "3.0",
    services: [{ name: "s", host: "s.internal" }],
    routes: [{ name: "r", service: { name: "s" }, paths: ["/"] }],
    consumers: [{ username: "u", custom_id: "42" }],
    plugins: [{ name: "cors", route: "r" }],
  },
};

const BAD: Record<string, object> = {
  "unknown service field": { _format_version: "3.0", services: [{ name: "s", host: "h", colour: "red" }] },
  "unknown route field": { _format_version: "3.0", routes: [{ name: "r", paths: ["/"], strip: true }] },
  "wrong type for paths": { _format_version: "3.0", routes: [{ name: "r", paths: "/x" }] },
  "retries not an integer": { _format_version: "3.0", services: [{ name: "s", host: "h", retries: "five" }] },
};

describe("decK schema ↔ loader", () => {
  it.each(Object.entries(GOOD))("%s: accepted by both", (_name, doc) => {
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const r = parseDeclarativeConfig(doc, { plugins: fakeLookup });
    expect(r.ok, r.ok ? "" : r.error.message).toBe(true);
  });

  it.each(Object.entries(BAD))("%s: rejected by both", (_name, doc) => {
    expect(validate(doc)).toBe(false);
    expect(parseDeclarativeConfig(doc, { plugins: fakeLookup }).ok).toBe(false);
  });
});
