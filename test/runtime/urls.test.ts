import { describe, expect, it } from "vitest";
import type { ComposeProject } from "../../src/runtime/compose/project.js";
import { credentialsInfo, stackUrls } from "../../src/runtime/urls.js";
import { stackSchema } from "../../src/stack/schema.js";

const stack = stackSchema.parse({
  name: "shop",
  template: "microservices",
  ports: { http: 8080, https: 8443 },
  services: [{ name: "users", routes: [{ name: "users", paths: ["/api/users"] }] }],
  consumers: [{ username: "demo", credentials: { "key-auth": [{ key_env: "DEMO_API_KEY" }] } }],
  addons: { prometheus: { enabled: true, port: 9090 }, grafana: true, elk: true },
});

function projectWith(
  services: string[],
  extra: Partial<ComposeProject["services"][string]> = {},
): ComposeProject {
  const svc = (name: string) =>
    ({ name, ports: [], ...extra }) as unknown as ComposeProject["services"][string];
  return { services: Object.fromEntries(services.map((s) => [s, svc(s)])) } as unknown as ComposeProject;
}

describe("stackUrls", () => {
  it("lists the site and only the tools whose services run", () => {
    expect(stackUrls(stack, projectWith(["caddy", "gateway", "users"]))).toEqual([
      { name: "Site", url: "https://localhost:8443/" },
    ]);
    const urls = stackUrls(stack, projectWith(["caddy", "gateway", "users", "grafana", "prometheus"]));
    expect(urls.map((u) => `${u.name} ${u.url}`)).toEqual([
      "Site https://localhost:8443/",
      "Grafana https://localhost:8443/grafana/",
      "Prometheus https://localhost:8443/prometheus/",
    ]);
  });
});

describe("credentialsInfo", () => {
  it("names the .env variables (never values), without the derived hash", () => {
    const info = credentialsInfo(stack, "/srv/shop");
    expect(info.file).toBe("/srv/shop/.env");
    const names = info.variables.map((v) => v.name);
    expect(names).toContain("GATEWAY_ADMIN_TOKEN");
    expect(names).toContain("DEMO_API_KEY");
    expect(names).toContain("TOOLS_BASICAUTH_PASSWORD");
    expect(names).toContain("GRAFANA_ADMIN_PASSWORD");
    expect(names).not.toContain("TOOLS_BASICAUTH_HASH");
  });
});
