import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashDeclarativeText } from "../../src/gateway/config/hash.js";
import {
  caddyAdminUrl,
  chainPathFor,
  dialHostFor,
  type HealthTargets,
  healthTargets,
  tlsSitesOf,
} from "../../src/health/targets.js";
import { renderStack } from "../../src/render/index.js";
import { initStack } from "../../src/stack/init.js";
import { loadStack } from "../../src/stack/load.js";
import { routeSchema, stackSchema } from "../../src/stack/schema.js";
import { startEchoUpstream, startTestGateway } from "../support/gateway.js";

describe("health targets from a real microservices stack (init + render)", () => {
  let dir: string;
  let targets: HealthTargets;
  let env: Record<string, string>;

  beforeAll(async () => {
    const parent = await mkdtemp(join(tmpdir(), "gs-health-targets-"));
    dir = join(parent, "shop");
    await initStack({
      dir,
      force: false,
      template: "microservices",
      name: "shop",
      domain: "localhost",
      https: "auto",
      httpPort: 8080,
      httpsPort: 8443,
      addons: ["prometheus", "grafana", "elk", "jenkins"],
    });
    const loaded = await loadStack(dir);
    await renderStack(loaded, {});
    env = loaded.env;
    targets = await healthTargets(loaded);
  });
  afterAll(() => rm(join(dir, ".."), { recursive: true, force: true }));

  it("public side: HTTPS on the published port, dialled on 127.0.0.1 naming the site", () => {
    expect(targets).toMatchObject({
      project: "shop",
      https: true,
      certTrust: "internal",
      dialHost: "127.0.0.1",
      httpPort: 8080,
      httpsPort: 8443,
      publicBase: "https://127.0.0.1:8443",
      hostHeader: "localhost:8443",
    });
  });

  it("reads the sites and the admin address from the rendered Caddyfile", () => {
    expect(targets.tlsSites).toEqual(["localhost", "127.0.0.1"]);
    expect(targets.caddyAdmin).toBe("http://localhost:2019");
  });

  it("expects the hash of the rendered gateway.yaml and its upstreams", async () => {
    const text = await readFile(join(dir, "config/gateway/gateway.yaml"), "utf8");
    expect(targets.gatewayConfig).toEqual({
      hash: hashDeclarativeText(text),
      upstreams: ["users.upstream", "orders.upstream", "catalog.upstream"],
    });
    expect(targets.gateway.adminToken).toBe(env.GATEWAY_ADMIN_TOKEN);
    expect(targets.gateway.adminToken).toMatch(/.{16,}/);
  });

  it("routes each app's health path through its public prefix, with the consumer key where key-auth guards it", () => {
    const [users, orders, catalog] = targets.services;
    expect(users).toMatchObject({
      name: "users",
      chain: { route: "users", path: "/api/users/health", headers: { host: "localhost:8443" } },
    });
    expect(orders?.chain).toMatchObject({
      path: "/api/orders/health",
      headers: { apikey: env.DEMO_API_KEY },
      credential: "consumer demo's key-auth key",
    });
    expect(catalog?.chain).toMatchObject({ path: "/api/catalog/health" });
  });

  it("lists the enabled addons with in-network URLs", () => {
    expect(targets.addons.map((a) => [a.name, a.profile, a.url])).toEqual([
      ["prometheus", "monitoring", "http://prometheus:9090/-/ready"],
      ["grafana", "monitoring", "http://grafana:3000/grafana/api/health"],
      ["elasticsearch", "logging", "http://elasticsearch:9200/_cluster/health"],
      ["logstash", "logging", "http://logstash:9600/"],
      ["kibana", "logging", "http://kibana:5601/kibana/api/status"],
      ["jenkins", "ci", "http://jenkins:8080/jenkins/login"],
    ]);
  });
});

describe("route → public health path", () => {
  const route = (r: Record<string, unknown>) => routeSchema.parse({ name: "r", ...r });
  it.each([
    [{ paths: ["/api/users"] }, "/health", "/api/users/health"],
    [{ paths: ["/api/users/"] }, "/health", "/api/users/health"],
    [{ paths: ["/"] }, "/health", "/health"],
    [{ paths: ["/health"], strip_path: false }, "/health", "/health"],
    [{ paths: ["/api"], strip_path: false }, "/health", null],
    [{ paths: ["/v1"], upstream_path: "/internal" }, "/internal/health", "/v1/health"],
    [{ paths: ["/private"], upstream_path: "/private" }, "/health", null],
    [{ paths: ["~/api/v[0-9]+"] }, "/health", null],
    [{ paths: ["/api"], methods: ["POST"] }, "/health", null],
    [{ hosts: ["api.example.com"] }, "/health", "/health"],
  ])("%j with health %s → %s", (r, health, expected) => {
    expect(chainPathFor(route(r), health)).toBe(expected);
  });
});

describe("credentials for guarded routes", () => {
  const base = {
    name: "shop",
    template: "monolith",
    services: [{ name: "app", routes: [{ name: "api", paths: ["/api"] }] }],
  };

  it("basic-auth: Authorization Basic from the consumer's password variable", async () => {
    const stack = stackSchema.parse({
      ...base,
      services: [
        { name: "app", plugins: [{ name: "basic-auth" }], routes: [{ name: "api", paths: ["/api"] }] },
      ],
      consumers: [
        { username: "ann", credentials: { "basic-auth": [{ username: "ann", password_env: "ANN_PW" }] } },
      ],
    });
    const t = await healthTargets({
      dir: "/nonexistent",
      file: "/nonexistent/stack.yaml",
      config: stack,
      env: { ANN_PW: "pw!" },
    });
    expect(t.services[0]?.chain).toMatchObject({
      headers: { authorization: `Basic ${Buffer.from("ann:pw!").toString("base64")}` },
    });
  });

  it("hmac-auth: a signed Date the gateway's hmac-auth plugin accepts; none when it enforces more", async () => {
    const consumers = [
      { username: "pat", credentials: { "hmac-auth": [{ username: "pat-signer", secret_env: "PAT_HMAC" }] } },
    ];
    const stack = stackSchema.parse({ ...base, gateway: { plugins: [{ name: "hmac-auth" }] }, consumers });
    const env = { PAT_HMAC: "pat-secret" };
    const t = await healthTargets({
      dir: "/nonexistent",
      file: "/nonexistent/stack.yaml",
      config: stack,
      env,
    });
    const chain = t.services[0]?.chain;
    if (!chain || !("route" in chain)) throw new Error("no chain route");
    const upstream = await startEchoUpstream();
    const gw = await startTestGateway({
      _format_version: "3.0",
      services: [
        { name: "s", url: upstream.url, routes: [{ paths: ["/api"] }], plugins: [{ name: "hmac-auth" }] },
      ],
      consumers: [
        { username: "pat", hmacauth_credentials: [{ username: "pat-signer", secret: "pat-secret" }] },
      ],
    });
    try {
      const ok = await fetch(`${gw.proxyUrl}/api/health`, { headers: chain.headers });
      expect(ok.status).toBe(200);
      const unsigned = await fetch(`${gw.proxyUrl}/api/health`);
      expect(unsigned.status).toBe(401);
    } finally {
      await gw.close();
      await upstream.close();
    }
    const strict = stackSchema.parse({
      ...base,
      gateway: { plugins: [{ name: "hmac-auth", config: { enforce_headers: ["request-line"] } }] },
      consumers,
    });
    const none = await healthTargets({
      dir: "/nonexistent",
      file: "/nonexistent/stack.yaml",
      config: strict,
      env,
    });
    expect(none.services[0]?.chain).toHaveProperty("skip");
  });

  it("jwt (HS256): a short-lived token the gateway's jwt plugin accepts", async () => {
    const stack = stackSchema.parse({
      ...base,
      gateway: { plugins: [{ name: "jwt" }] },
      consumers: [{ username: "bob", credentials: { jwt: [{ key: "bob-key", secret_env: "BOB_SECRET" }] } }],
    });
    const t = await healthTargets({
      dir: "/nonexistent",
      file: "/nonexistent/stack.yaml",
      config: stack,
      env: { BOB_SECRET: "s3cret-s3cret-s3cret-s3cret-1234" },
    });
    const chain = t.services[0]?.chain;
    if (!chain || !("route" in chain)) throw new Error("no chain route");
    const token = chain.headers.authorization!.replace(/^Bearer /, "");
    const { payload } = await jwtVerify(token, new TextEncoder().encode("s3cret-s3cret-s3cret-s3cret-1234"));
    expect(payload.iss).toBe("bob-key");
    expect(payload.exp! - payload.iat!).toBe(120);
  });

  it("key-auth without the key in .env: the chain check is skipped with the reason", async () => {
    const stack = stackSchema.parse({
      ...base,
      gateway: { plugins: [{ name: "key-auth" }] },
      consumers: [{ username: "c", credentials: { "key-auth": [{ key_env: "MISSING_KEY" }] } }],
    });
    const t = await healthTargets({
      dir: "/nonexistent",
      file: "/nonexistent/stack.yaml",
      config: stack,
      env: {},
    });
    expect(t.services[0]?.chain).toEqual({
      skip: "no route of app reaches /health with a GET the probe can authenticate",
    });
    expect(t.gatewayConfig).toBeNull();
    expect(t.tlsSites).toEqual(["localhost"]);
  });
});

describe("Caddyfile and bind parsing", () => {
  it("site addresses: skips the global block, http:// and port-only sites", () => {
    const caddyfile = `# generated\n{\n\tadmin localhost:2020\n\tservers {\n\t\tmetrics\n\t}\n}\n\nshop.example.com, www.shop.example.com {\n\treverse_proxy x:1\n}\n\nhttp://:9180 {\n\trespond 404\n}\n:8080 {\n}\n`;
    expect(tlsSitesOf(caddyfile)).toEqual(["shop.example.com", "www.shop.example.com"]);
    expect(caddyAdminUrl(caddyfile)).toBe("http://localhost:2020");
  });
  it("admin off / unix sockets: no admin URL; default when unset", () => {
    expect(caddyAdminUrl("{\n\tadmin off\n}\n")).toBeNull();
    expect(caddyAdminUrl("{\n\tadmin unix//run/caddy.sock\n}\n")).toBeNull();
    expect(caddyAdminUrl("example.com {\n}\n")).toBe("http://localhost:2019");
    expect(caddyAdminUrl(null)).toBe("http://localhost:2019");
  });
  it("dial address for the published ports", () => {
    expect(dialHostFor("0.0.0.0")).toBe("127.0.0.1");
    expect(dialHostFor("::")).toBe("::1");
    expect(dialHostFor("192.168.1.5")).toBe("192.168.1.5");
  });
});
