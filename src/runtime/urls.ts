/** What `stack up` prints at the end: where the site and the tools are, and where the credentials live. */
import path from "node:path";
import { siteUrl, toolRoutes } from "../render/topology.js";
import { envVarsFor } from "../stack/env-vars.js";
import type { StackConfig } from "../stack/schema.js";
import type { ComposeProject } from "./compose/project.js";

export interface StackUrl {
  name: string;
  url: string;
}

const TOOL_NAMES: Record<string, string> = {
  grafana: "Grafana",
  kibana: "Kibana",
  jenkins: "Jenkins",
  prometheus: "Prometheus",
  gateway: "Gateway manager",
};

/** The site and the tool UIs that run in this project (tools only when their profile is up). */
export function stackUrls(stack: StackConfig, project: ComposeProject): StackUrl[] {
  const site = siteUrl(stack);
  const urls: StackUrl[] = [{ name: "Site", url: `${site}/` }];
  for (const route of toolRoutes(stack)) {
    const service = route.upstream.split(":")[0] as string;
    if (!project.services[service]) continue;
    urls.push({ name: TOOL_NAMES[service] ?? service, url: `${site}${route.path}/` });
  }
  // A tool published on the host directly (stack.yaml addons.<tool>.port) is listed too.
  for (const [service, label] of Object.entries(TOOL_NAMES)) {
    const svc = project.services[service];
    const published = svc?.ports.find((p) => p.published && /^\d+$/.test(p.published));
    if (published)
      urls.push({
        name: `${label} (direct)`,
        url: `http://${published.host_ip ?? "127.0.0.1"}:${published.published}/`,
      });
  }
  return urls;
}

export interface CredentialsInfo {
  /** Path of the .env file holding them. */
  file: string;
  variables: Array<{ name: string; purpose: string }>;
}

/** Which .env variables hold the credentials (names only: values never leave .env). */
export function credentialsInfo(stack: StackConfig, dir: string): CredentialsInfo {
  return {
    file: path.join(dir, ".env"),
    variables: envVarsFor(stack)
      .filter((v) => v.required && !v.name.endsWith("_HASH"))
      .map((v) => ({ name: v.name, purpose: v.purpose })),
  };
}
