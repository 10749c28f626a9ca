/**
 * The declarative loader: Kong's defaults, shorthand, nested and top-level forms,
 * references, deterministic ids, vault references, format versions.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REFUSED_TOP_LEVEL } from "../../../src/gateway/config/editions.js";
import { OPAQUE_COLLECTIONS } from "../../../src/gateway/config/entities/index.js";
import { entityId, uuidV5 } from "../../../src/gateway/config/ids.js";
import { loadDeclarativeFile, parseDeclarativeConfig } from "../../../src/gateway/config/load.js";
import { fakeLookup, loadConfig } from "../support/config.js";

describe("defaults (Kong 3.x)", () => {
  it("service from the url shorthand", () => {
    const c = loadConfig({ _format_version: "3.0", services: [{ name: "s", url: "http://app:8080/v1" }] });
    expect(c.services[0]).toMatchObject({
      name: "s",
      protocol: "http",
      host: "app",
      port: 8080,
      path: "/v1",
      retries: 5,
      connect_timeout: 60000,
      write_timeout: 60000,
      read_timeout: 60000,
      enabled: true,
      tags: null,
    });
  });

  it("lists keep what the file wrote: unset is null, an empty list stays []", () => {
    const c = loadConfig({
      _format_version: "3.0",
      services: [{ name: "s", host: "app", tags: [], routes: [{ paths: ["/"], methods: [], hosts: [] }] }],
      consumers: [{ username: "u", tags: ["a"] }],
    });
    expect(c.services[0]!.tags).toEqual([]);
    expect(c.routes[0]).toMatchObject({ methods: [], hosts: [], snis: null, tags: null });
    expect(c.consumers[0]!.tags).toEqual(["a"]);
  });

  it.each([
    ["https://secure.test", { protocol: "https", port: 443, path: null }],
    ["http://plain.test", { protocol: "http", port: 80, path: null }],
    ["http://plain.test/", { protocol: "http", port: 80, path: "/" }],
    ["https://h.test:8443/a/b", { protocol: "https", port: 8443, path: "/a/b" }],
  ])("url %s", (url, expected) => {
    const c = loadConfig({ _format_version: "3.0", services: [{ name: "s", url }] });
    expect(c.services[0]).toMatchObject(expected);
  });

  it("service without url: port 80, protocol http", () => {
    const c = loadConfig({ _format_version: "3.0", services: [{ host: "x.test" }] });
    expect(c.services[0]).toMatchObject({ protocol: "http", port: 80, path: null, name: null });
  });

  it("route defaults", () => {
    const c = loadConfig({ _format_version: "3.0", routes: [{ paths: ["/"] }] });
    expect(c.routes[0]).toMatchObject({
      protocols: ["http", "https"],
      methods: null,
      hosts: null,
      headers: null,
      snis: null,
      strip_path: true,
      preserve_host: false,
      regex_priority: 0,
      path_handling: "v0",
      https_redirect_status_code: 426,
      request_buffering: true,
      response_buffering: true,
      service: null,
    });
  });

  it("upstream defaults, health checks exactly as Kong", () => {
    const c = loadConfig({
      _format_version: "3.0",
      upstreams: [{ name: "up", targets: [{ target: "a.test" }] }],
    });
    expect(c.upstreams[0]).toMatchObject({
      algorithm: "round-robin",
      hash_on: "none",
      hash_fallback: "none",
      hash_on_cookie_path: "/",
      slots: 10000,
      host_header: null,
    });
    expect(c.upstreams[0]!.healthchecks).toEqual({
      threshold: 0,
      active: {
        type: "http",
        timeout: 1,
        concurrency: 10,
        http_path: "/",
        https_sni: null,
        https_verify_certificate: true,
        headers: null,
        healthy: { interval: 0, http_statuses: [200, 302], successes: 0 },
        unhealthy: {
          interval: 0,
          http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
          tcp_failures: 0,
          timeouts: 0,
          http_failures: 0,
        },
      },
      passive: {
        type: "http",
        healthy: {
          http_statuses: [
            200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
          ],
          successes: 0,
        },
        unhealthy: { http_statuses: [429, 500, 503], tcp_failures: 0, timeouts: 0, http_failures: 0 },
      },
    });
    expect(c.targets[0]).toMatchObject({ target: "a.test:8000", weight: 100, upstream: c.upstreams[0]!.id });
  });

  it("partial health checks keep the other defaults", () => {
    const c = loadConfig({
      _format_version: "3.0",
      upstreams: [
        { name: "up", healthchecks: { active: { http_path: "/health", healthy: { interval: 5 } } } },
      ],
    });
    const active = c.upstreams[0]!.healthchecks.active;
    expect(active.http_path).toBe("/health");
    expect(active.healthy).toEqual({ interval: 5, http_statuses: [200, 302], successes: 0 });
    expect(active.unhealthy.http_failures).toBe(0);
  });

  it("targets: ports and IPv6", () => {
    const c = loadConfig({
      _format_version: "3.0",
      upstreams: [
        {
          name: "up",
          targets: [{ target: "10.0.0.1:9000", weight: 5 }, { target: "[::1]" }, { target: "::1" }],
        },
      ],
    });
    expect(c.targets.map((t) => t.target)).toEqual(["10.0.0.1:9000", "[::1]:8000", "[::1]:8000"]);
  });

  it("plugin defaults: enabled, protocols, config through the plugin schema", () => {
    const c = loadConfig({ _format_version: "3.0", plugins: [{ name: "key-auth" }] });
    expect(c.plugins[0]).toMatchObject({
      name: "key-auth",
      enabled: true,
      protocols: ["grpc", "grpcs", "http", "https"],
      service: null,
      route: null,
      consumer: null,
      config: { key_names: ["apikey"], hide_credentials: false, redis: {} },
    });
  });

  it("plugin configs written by decK (null for unset fields) load", () => {
    const c = loadConfig({
      _format_version: "3.0",
      plugins: [{ name: "rate-limiting", config: { minute: 5, key_names: null, redis: { host: null } } }],
    });
    expect(c.plugins[0]!.config).toMatchObject({ minute: 5, key_names: ["apikey"] });
  });

  it("credentials and consumers", () => {
    const c = loadConfig({
      _format_version: "3.0",
      consumers: [
        {
          username: "demo",
          keyauth_credentials: [{ key: "k1" }],
          jwt_secrets: [{ key: "iss-1", secret: "s" }],
          basicauth_credentials: [{ username: "u", password: "p" }],
          acls: [{ group: "admins" }],
        },
        { custom_id: "only-custom" },
      ],
    });
    const demo = c.consumers[0]!;
    expect(c.consumers[1]).toMatchObject({ username: null, custom_id: "only-custom" });
    expect(c.keyauth_credentials[0]).toMatchObject({ key: "k1", consumer: demo.id, ttl: null });
    expect(c.jwt_secrets[0]).toMatchObject({
      key: "iss-1",
      secret: "s",
      algorithm: "HS256",
      consumer: demo.id,
    });
    expect(c.basicauth_credentials[0]).toMatchObject({ username: "u", password: "p", consumer: demo.id });
    expect(c.acls[0]).toMatchObject({ group: "admins", consumer: demo.id });
  });

  it("a key-auth credential without key gets a generated one", () => {
    const c = loadConfig({
      _format_version: "3.0",
      consumers: [{ username: "d", keyauth_credentials: [{}] }],
    });
    expect(c.keyauth_credentials[0]!.key).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("nested and top-level forms", () => {
  const nested = {
    _format_version: "3.0",
    services: [
      {
        name: "svc",
        url: "http://app.test",
        routes: [{ name: "r", paths: ["/a"], plugins: [{ name: "cors" }] }],
        plugins: [{ name: "rate-limiting", config: { minute: 1 } }],
      },
    ],
    consumers: [
      { username: "demo", keyauth_credentials: [{ key: "abc" }], plugins: [{ name: "rate-limiting" }] },
    ],
    upstreams: [{ name: "up", targets: [{ target: "t.test:81" }] }],
  };
  const flat = {
    _format_version: "3.0",
    services: [{ name: "svc", url: "http://app.test" }],
    routes: [{ name: "r", paths: ["/a"], service: "svc" }],
    plugins: [
      { name: "cors", route: "r" },
      { name: "rate-limiting", service: "svc", config: { minute: 1 } },
      { name: "rate-limiting", consumer: "demo" },
    ],
    consumers: [{ username: "demo" }],
    keyauth_credentials: [{ key: "abc", consumer: "demo" }],
    upstreams: [{ name: "up" }],
    targets: [{ target: "t.test:81", upstream: "up" }],
  };

  it("give the same entities, ids and references", () => {
    const a = loadConfig(nested);
    const b = loadConfig(flat);
    const strip = (c: typeof a) => ({ ...c, hash: "" });
    const sortById = <T extends { id: string }>(xs: T[]) => [...xs].sort((x, y) => x.id.localeCompare(y.id));
    expect(sortById(strip(a).plugins)).toEqual(sortById(strip(b).plugins));
    expect(a.services).toEqual(b.services);
    expect(a.routes).toEqual(b.routes);
    expect(a.consumers).toEqual(b.consumers);
    expect(a.keyauth_credentials).toEqual(b.keyauth_credentials);
    expect(a.targets).toEqual(b.targets);
  });

  it("references may use ids", () => {
    const id = "8d3c8a4e-3f1c-4b5e-9c8a-0e7a3b2c1d00";
    const c = loadConfig({
      _format_version: "3.0",
      services: [{ id, host: "app.test" }],
      routes: [
        { name: "r", paths: ["/"], service: id },
        { name: "r2", paths: ["/2"], service: { id } },
      ],
    });
    expect(c.routes.map((r) => r.service)).toEqual([id, id]);
  });

  it("route headers are keyed by lowercased name", () => {
    const c = loadConfig({ _format_version: "3.0", routes: [{ headers: { "X-Version": ["v1"] } }] });
    expect(c.routes[0]!.headers).toEqual({ "x-version": ["v1"] });
  });
});

describe("deterministic ids (Kong's UUID v5 scheme)", () => {
  it("uuidV5 matches the RFC 4122 test vector", () => {
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });

  it("named entities get v5 ids of their name; reloads keep them", () => {
    const doc = {
      _format_version: "3.0",
      services: [{ name: "svc", host: "a.test" }],
      consumers: [{ username: "u" }],
    };
    const a = loadConfig(doc);
    const b = loadConfig(doc);
    expect(a.services[0]!.id).toBe(entityId("services", "svc"));
    expect(a.consumers[0]!.id).toBe(entityId("consumers", "u"));
    expect(b.services[0]!.id).toBe(a.services[0]!.id);
  });

  it("unnamed entities still get stable ids", () => {
    const doc = { _format_version: "3.0", services: [{ host: "a.test" }, { host: "b.test" }] };
    const a = loadConfig(doc);
    expect(loadConfig(doc).services.map((s) => s.id)).toEqual(a.services.map((s) => s.id));
    expect(a.services[0]!.id).not.toBe(a.services[1]!.id);
  });

  it("given ids are kept (lowercased)", () => {
    const c = loadConfig({
      _format_version: "3.0",
      services: [{ id: "8D3C8A4E-3F1C-4B5E-9C8A-0E7A3B2C1D00", host: "a.test" }],
    });
    expect(c.services[0]!.id).toBe("8d3c8a4e-3f1c-4b5e-9c8a-0e7a3b2c1d00");
  });
});

describe("vault references", () => {
  it("{vault://env/NAME} is read from env (uppercased, '-' → '_') anywhere", () => {
    const c = loadConfig(
      {
        _format_version: "3.0",
        services: [{ name: "s", host: "{vault://env/app-host}" }],
        consumers: [{ username: "d", keyauth_credentials: [{ key: "{vault://env/DEMO_API_KEY}" }] }],
      },
      { APP_HOST: "app.internal", DEMO_API_KEY: "sekret" },
    );
    expect(c.services[0]!.host).toBe("app.internal");
    expect(c.keyauth_credentials[0]!.key).toBe("sekret");
  });

  it("a missing variable is an error naming the field", () => {
    const r = parseDeclarativeConfig(
      {
        _format_version: "3.0",
        consumers: [{ username: "d", keyauth_credentials: [{ key: "{vault://env/NOPE}" }] }],
      },
      { plugins: fakeLookup, env: {} },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.fields).toEqual({
      consumers: [
        {
          keyauth_credentials: [
            {
              key: "could not resolve vault reference '{vault://env/NOPE}': environment variable NOPE is not set",
            },
          ],
        },
      ],
    });
  });

  it("references in text are found however the text spells them (JSON and YAML escapes)", () => {
    const env = { H: "resolved.test" };
    const texts = [
      '{"_format_version":"3.0","services":[{"name":"s","host":"{vault://env/H}"}]}',
      '{"_format_version":"3.0","services":[{"name":"s","host":"{\\u0076ault:\\/\\/env\\/H}"}]}',
      '_format_version: "3.0"\nservices:\n  - name: s\n    host: "{\\x76ault://env/H}"\n',
    ];
    for (const text of texts) {
      const r = parseDeclarativeConfig(text, { plugins: fakeLookup, env });
      expect(r.ok && r.config.services[0]!.host, text).toBe("resolved.test");
    }
    const plain = parseDeclarativeConfig(
      '{"_format_version":"3.0","services":[{"name":"s","host":"a.test"}]}',
      {
        plugins: fakeLookup,
        env,
      },
    );
    expect(plain.ok && plain.config.services[0]!.host).toBe("a.test");
  });

  it("the hash is computed before resolution (secrets do not change it)", () => {
    const doc = { _format_version: "3.0", services: [{ name: "s", host: "{vault://env/H}" }] };
    expect(loadConfig(doc, { H: "a.test" }).hash).toBe(loadConfig(doc, { H: "b.test" }).hash);
  });
});

describe("text input", () => {
  const yaml = `_format_version: "3.0"
services:
  - name: s
    url: http://a.test
    routes:
      - name: r
        paths: [/x]
`;
  it("YAML and JSON of the same document load the same, with the same hash", () => {
    const fromYaml = parseDeclarativeConfig(yaml, { plugins: fakeLookup });
    const json = JSON.stringify({
      _format_version: "3.0",
      services: [{ name: "s", url: "http://a.test", routes: [{ name: "r", paths: ["/x"] }] }],
    });
    const fromJson = parseDeclarativeConfig(json, { plugins: fakeLookup });
    expect(fromYaml.ok && fromJson.ok).toBe(true);
    if (!fromYaml.ok || !fromJson.ok) return;
    expect(fromYaml.config).toEqual(fromJson.config);
    expect(fromYaml.doc).toEqual(fromJson.doc);
  });

  it("format 1.1 / 2.1: regex-looking paths gain '~', others are normalized", () => {
    const c = loadConfig({
      _format_version: "2.1",
      routes: [{ paths: ["/users/\\d+", "/plain/%7Euser", "/a.b-c"] }],
    });
    expect(c.format_version).toBe("2.1");
    expect(c.routes[0]!.paths).toEqual(["~/users/\\d+", "/plain/~user", "/a.b-c"]);
  });

  const dir = mkdtempSync(join(tmpdir(), "gw-load-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loadDeclarativeFile reads files, and reports a missing one as code 14", async () => {
    const file = join(dir, "kong.yml");
    writeFileSync(file, yaml);
    const ok = await loadDeclarativeFile(file, { plugins: fakeLookup });
    expect(ok.ok && ok.config.routes[0]!.name).toBe("r");
    const missing = await loadDeclarativeFile(join(dir, "nope.yml"), { plugins: fakeLookup });
    expect(missing.ok).toBe(false);
    if (!missing.ok) {
      expect(missing.error.code).toBe(14);
      expect(String(missing.error.fields.error)).toMatch(/no such file/);
    }
  });
});

describe("top-level collections Kong has and this gateway does not run", () => {
  const topLevel = (key: string, value: unknown) =>
    parseDeclarativeConfig({ _format_version: "3.0", [key]: value }, { plugins: fakeLookup });

  it("each is handled in one place: refused (editions.ts) or accepted and ignored, never listed as both", () => {
    // oauth2_credentials: until the oauth2 plugin makes it an entity of its own
    const both = OPAQUE_COLLECTIONS.filter(
      (k: string) => Object.hasOwn(REFUSED_TOP_LEVEL, k) && k !== "oauth2_credentials",
    );
    expect(both).toEqual([]);
    for (const key of OPAQUE_COLLECTIONS.filter((k) => !Object.hasOwn(REFUSED_TOP_LEVEL, k))) {
      const r = topLevel(key, key === "vaults" ? [{ name: "env", prefix: "e" }] : [{ id: "x" }]);
      expect(r.ok, key).toBe(true);
    }
  });

  it("consumer groups and mtls-auth credentials are refused as Kong Enterprise features; empty lists pass", () => {
    for (const [key, what] of [
      ["consumer_groups", "'consumer_groups' (consumer groups)"],
      ["mtls_auth_credentials", "'mtls_auth_credentials' (mtls-auth)"],
    ] as const) {
      const r = topLevel(key, [{ name: "gold" }]);
      expect(r.ok).toBe(false);
      if (!r.ok)
        expect(r.error.fields[key]).toBe(
          `${what} is a Kong Enterprise feature; this gateway runs open-source Kong features only`,
        );
      expect(topLevel(key, []).ok).toBe(true);
    }
  });
});
