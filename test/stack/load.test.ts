import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isGatestackError } from "../../src/errors.js";
import { formatIssue, StackInvalidError } from "../../src/stack/issues.js";
import { analyzeStackText, loadStack, parseStackText } from "../../src/stack/load.js";
import { MINIMAL_STACK_YAML } from "./fixtures.js";

const BASE = MINIMAL_STACK_YAML;

/** The one-line messages parseStackText reports for `text` (it must fail). */
function errorLines(text: string): string[] {
  try {
    parseStackText(text);
  } catch (err) {
    if (err instanceof StackInvalidError) return err.errors.map(formatIssue);
    throw err;
  }
  throw new Error("expected stack.yaml to be invalid");
}

function thrown(fn: () => unknown): { code: string; place?: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isGatestackError(err)) return { code: err.code, place: err.place, message: err.message };
    throw err;
  }
  throw new Error("expected an error");
}

describe("parseStackText: valid input", () => {
  it("applies defaults", () => {
    const config = parseStackText(BASE);
    expect(config.domain).toBe("localhost");
    expect(config.https).toBe("auto");
    expect(config.services[0]!.routes[0]!.strip_path).toBe(true);
    expect(config.addons.prometheus).toEqual({ enabled: false });
  });
});

describe("parseStackText: bad input names file:line:col and the key path", () => {
  it("malformed YAML → E_YAML_SYNTAX at the offending position", () => {
    expect(thrown(() => parseStackText("name: demo\n  template: monolith\n"))).toEqual({
      code: "E_YAML_SYNTAX",
      place: "stack.yaml:1:7",
      message: "invalid YAML: Nested mappings are not allowed in compact mappings",
    });
    expect(thrown(() => parseStackText(`${BASE}\t- oops\n`)).place).toBe("stack.yaml:8:1");
    expect(thrown(() => parseStackText("name: demo\nname: again\n"))).toMatchObject({
      code: "E_YAML_SYNTAX",
      place: "stack.yaml:2:1",
      message: "invalid YAML: Map keys must be unique",
    });
  });

  it("unknown template, with a did-you-mean", () => {
    expect(errorLines(BASE.replace("template: monolith", "template: monolit"))).toEqual([
      'stack.yaml:2:11: template: unknown template "monolit" — did you mean "monolith"?',
    ]);
  });

  it("bad domain", () => {
    expect(errorLines(BASE.replace("services:", 'domain: "https://exa mple.com"\nservices:'))).toEqual([
      'stack.yaml:3:9: domain: must be a hostname such as localhost or api.example.com (got "https://exa mple.com")',
    ]);
  });

  it("route path without a leading slash", () => {
    expect(errorLines(BASE.replace("paths: [/api]", "paths: [api]"))).toEqual([
      "stack.yaml:7:17: services[0].routes[0].paths[0]: must start with '/' (or '~/' for a regex path)",
    ]);
  });

  it("duplicate service names", () => {
    const text = `${BASE}  - name: app
    routes:
      - name: api2
        paths: [/api2]
`;
    expect(errorLines(text)).toEqual([
      'stack.yaml:8:11: services[1].name: duplicate service name "app" (also services[0])',
    ]);
  });

  it("duplicate route names across services", () => {
    const text = `${BASE}  - name: other
    routes:
      - name: api
        paths: [/other]
`;
    expect(errorLines(text)).toEqual([
      'stack.yaml:10:15: services[1].routes[0].name: duplicate route name "api" (also services[0].routes[0])',
    ]);
  });

  it("two services on one path", () => {
    const text = `${BASE}  - name: other
    routes:
      - name: other
        paths: [/api]
`;
    expect(errorLines(text)).toEqual([
      'stack.yaml:11:17: services[1].routes[0].paths[0]: two services on one path: path "/api" is already routed to service "app" (route "api") with the same hosts, methods and headers',
    ]);
  });

  it("the same path is fine when hosts or methods differ", () => {
    const text = `${BASE}  - name: other
    routes:
      - name: other
        paths: [/api]
        methods: [POST]
`;
    expect(parseStackText(text).services).toHaveLength(2);
  });

  it("unknown plugin name: closest match, or the list of bundled plugins", () => {
    const withPlugin = (name: string) => `${BASE}        plugins:\n          - name: ${name}\n`;
    expect(errorLines(withPlugin("key-atuh"))).toEqual([
      'stack.yaml:9:19: services[0].routes[0].plugins[0].name: unknown plugin "key-atuh" — did you mean "key-auth"?',
    ]);
    const [line] = errorLines(withPlugin("teleport"));
    expect(line).toMatch(
      /^stack\.yaml:9:19: services\[0\]\.routes\[0\]\.plugins\[0\]\.name: unknown plugin "teleport" \(bundled plugins: .*rate-limiting.*\)$/,
    );
  });

  it("unknown keys point at the key, with a did-you-mean, or list the allowed keys", () => {
    expect(errorLines(`${BASE}        strip_pth: false\n`)).toEqual([
      'stack.yaml:8:9: services[0].routes[0].strip_pth: unknown key "strip_pth" — did you mean "strip_path"?',
    ]);
    expect(errorLines(BASE.replace("name: demo", "nmae: demo"))).toEqual([
      'stack.yaml:1:1: nmae: unknown key "nmae" — did you mean "name"?',
    ]);
    const [line] = errorLines(`zzz: 1\n${BASE}`);
    expect(line).toMatch(
      /^stack\.yaml:1:1: zzz: unknown key "zzz" \(allowed: name, template, domain, https, ports, /,
    );
  });

  it("reports every error, in document order, one per line", () => {
    const text = BASE.replace("template: monolith", "template: monolit")
      .replace("paths: [/api]", "paths: [api]")
      .replace("name: app", "name: App");
    const err = (() => {
      try {
        parseStackText(text);
      } catch (e) {
        return e as StackInvalidError;
      }
    })()!;
    expect(err.errors.map((e) => `${e.line}:${e.col} ${e.path}`)).toEqual([
      "2:11 template",
      "4:11 services[0].name",
      "7:17 services[0].routes[0].paths[0]",
    ]);
    expect(err.toLine().split("\n")).toHaveLength(3);
    expect(err.place).toBe("stack.yaml:2:11");
    expect(err.code).toBe("E_STACK_INVALID");
  });

  it("wrong types and missing keys", () => {
    expect(errorLines("name: demo\ntemplate: monolith\nservices: {}\n")).toEqual([
      "stack.yaml:3:11: services: expected array, got a mapping",
    ]);
    expect(errorLines("name: demo\ntemplate: monolith\n")).toEqual(["stack.yaml:1:1: services: is required"]);
    expect(errorLines("")).toEqual([
      "stack.yaml:1:1: is empty: a stack needs at least name, template and services (`stack init` writes one)",
    ]);
    expect(errorLines(BASE.replace("name: app", "name: app\n    port: 70000"))).toEqual([
      "stack.yaml:5:11: services[0].port: must be at most 65535 (got 70000)",
    ]);
    expect(errorLines(`${BASE}addons:\n  grafana: yes\n`)).toEqual([
      'stack.yaml:9:12: addons.grafana: expected boolean or object, got string "yes"',
    ]);
    expect(errorLines(`${BASE}addons:\n  grafana: {enabled: true, prot: 3000}\n`)).toEqual([
      'stack.yaml:9:28: addons.grafana.prot: unknown key "prot" — did you mean "port"?',
    ]);
  });

  it("more cross-field rules: duplicate consumers and credentials, repeated plugins, port clashes", () => {
    const text = `${BASE}        plugins:
          - name: cors
          - name: cors
ports: {http: 8080, https: 8080}
consumers:
  - username: alice
    credentials: {key-auth: [{key_env: SHARED_KEY}]}
  - username: alice
    credentials: {key-auth: [{key_env: SHARED_KEY}]}
`;
    expect(errorLines(text)).toEqual([
      'stack.yaml:10:19: services[0].routes[0].plugins[1].name: plugin "cors" appears twice in this list (also [0]); merge their config',
      "stack.yaml:11:28: ports.https: host port 8080 is already used by another entry",
      'stack.yaml:15:15: consumers[1].username: duplicate consumer "alice" (also consumers[0])',
      "stack.yaml:16:40: consumers[1].credentials.key-auth[0].key_env: key_env SHARED_KEY is used by another credential too; each must be unique",
    ]);
  });
});

describe("parseStackText: rules render relies on, checked at load time", () => {
  it("an app may not take a compose service name the stack uses itself", () => {
    expect(errorLines(BASE.replace("name: app", "name: gateway"))).toEqual([
      'stack.yaml:4:11: services[0].name: service name "gateway" is used by the stack itself; choose another (reserved: caddy, gateway, redis, postgres, gateway-migrations, prometheus, grafana, elasticsearch, logstash, kibana, jenkins)',
    ]);
    // Reserved whether or not the addon is on: turning it on later must not break the stack.
    expect(errorLines(BASE.replace("name: app", "name: kibana"))).toHaveLength(1);
    // so are database mode's services, with gateway.database off
    expect(errorLines(BASE.replace("name: app", "name: postgres"))).toHaveLength(1);
    expect(errorLines(BASE.replace("name: app", "name: gateway-migrations"))).toHaveLength(1);
  });

  it("a JWT credential names the .env variable its algorithm verifies with", () => {
    const text = `${BASE}consumers:
  - username: alice
    credentials:
      jwt:
        - key: alice-hs
        - key: alice-rs
          algorithm: RS256
          secret_env: ALICE_SECRET
        - {key: alice-es, algorithm: ES256, rsa_public_key_env: ALICE_PUBLIC_KEY}
        - {key: alice-hs2, algorithm: HS512, rsa_public_key_env: ALICE_PUBLIC_KEY2}
`;
    expect(errorLines(text)).toEqual([
      "stack.yaml:12:11: consumers[0].credentials.jwt[0].secret_env: is required for algorithm HS256: the .env variable holding the HMAC secret",
      "stack.yaml:13:11: consumers[0].credentials.jwt[1].rsa_public_key_env: is required for algorithm RS256: the .env variable holding the PEM public key",
      "stack.yaml:17:11: consumers[0].credentials.jwt[3].secret_env: is required for algorithm HS512: the .env variable holding the HMAC secret",
    ]);
  });

  it("a route with upstream_path gets its own gateway service, whose name must be free", () => {
    const text = `${BASE}        upstream_path: /v1
  - name: app-api
    routes:
      - name: other
        paths: [/other]
`;
    expect(errorLines(text)).toEqual([
      'stack.yaml:8:24: services[0].routes[0].upstream_path: a route with upstream_path gets its own gateway service "app-api", a name services[1].name already gives one; rename the app or the route',
    ]);
    // Two generated names can clash too: app "a" + route "b-c" and app "a-b" + route "c".
    const generated = `name: demo
template: monolith
services:
  - name: a
    routes: [{name: b-c, paths: [/x], upstream_path: /x}]
  - name: a-b
    routes: [{name: c, paths: [/y], upstream_path: /y}]
`;
    expect(errorLines(generated)).toEqual([
      'stack.yaml:7:52: services[1].routes[0].upstream_path: a route with upstream_path gets its own gateway service "a-b-c", a name services[0].routes[0].upstream_path already gives one; rename the app or the route',
    ]);
  });
});

describe("warnings do not fail", () => {
  it("acl groups no consumer holds, acl without auth, auth without credentials", () => {
    const text = `${BASE}        plugins:
          - name: acl
            config: {allow: [admins]}
          - name: jwt
`;
    const analysis = analyzeStackText(text);
    expect(analysis.errors).toEqual([]);
    expect(analysis.config).toBeDefined();
    expect(analysis.warnings.map(formatIssue)).toEqual([
      'stack.yaml:10:30: services[0].routes[0].plugins[0].config.allow[0]: acl group "admins" is not in any consumer\'s acls',
      "stack.yaml:11:19: services[0].routes[0].plugins[1].name: jwt is enabled but no consumer has a jwt credential: every request here gets 401",
    ]);
    const noAuth = analyzeStackText(
      `${BASE}        plugins:\n          - name: acl\n            config: {allow: [x]}\n`,
    );
    expect(noAuth.warnings.map((w) => w.message)).toContain(
      "acl needs an authentication plugin (key-auth, jwt, basic-auth, hmac-auth, oauth2) on this route, its service or globally",
    );
  });
});

describe("state kept per gateway replica", () => {
  const replicated = (replicas: number, engine = "gatestack") =>
    BASE.replace(
      "template: monolith\n",
      `template: monolith\ngateway: {replicas: ${replicas}, engine: ${engine}}\n`,
    );

  it("policy local with several replicas warns with the effective limit (limit × replicas)", () => {
    const text = `${replicated(3)}        plugins:
          - name: rate-limiting
            config: {minute: 60, hour: 1000, policy: local}
`;
    const analysis = analyzeStackText(text);
    expect(analysis.errors).toEqual([]);
    expect(analysis.warnings.map(formatIssue)).toEqual([
      "stack.yaml:11:54: services[0].routes[0].plugins[0].config.policy: policy local with 3 gateway replicas: each replica counts on its own, so up to 180 requests per minute (60 × 3 replicas), 3000 per hour (1000 × 3 replicas) get through; leave policy out (or set redis) to count in the stack's Redis",
    ]);
    // one replica, or the policy left to the stack (redis): nothing to say
    expect(analyzeStackText(text.replace("replicas: 3", "replicas: 1")).warnings).toEqual([]);
    expect(analyzeStackText(text.replace(", policy: local", "")).warnings).toEqual([]);
  });

  it("response-ratelimiting: policy local with several replicas warns", () => {
    const text = `${replicated(2)}        plugins:
          - name: response-ratelimiting
            config: {limits: {videos: {minute: 10}}, policy: local}
`;
    expect(analyzeStackText(text).warnings.map((w) => w.message)).toEqual([
      "policy local with 2 gateway replicas: each replica counts on its own, so up to 2 × each limit gets used; leave policy out (or set redis) to count in the stack's Redis",
    ]);
    expect(analyzeStackText(text.replace(", policy: local", "")).warnings).toEqual([]);
  });

  it("strategy memory with several replicas warns; Kong is left with memory; Kong has no redis strategy", () => {
    const cache = (config: string) =>
      `        plugins:\n          - name: proxy-cache\n            config: ${config}\n`;
    const memory = analyzeStackText(`${replicated(2)}${cache("{strategy: memory}")}`);
    expect(memory.warnings.map((w) => w.message)).toEqual([
      "strategy memory with 2 gateway replicas: each replica caches on its own (a response cached by one is a miss on the others, an Admin API purge reaches one replica); leave strategy out (or set redis) to share the stack's Redis",
    ]);
    const kong = analyzeStackText(`${replicated(2, "kong")}${cache("{}")}`);
    expect(kong.warnings.map(formatIssue)).toEqual([
      "stack.yaml:10:19: services[0].routes[0].plugins[0].name: Kong (gateway.engine kong) has no redis strategy, so each of the 2 gateway replicas caches on its own (a response cached by one is a miss on the others, an Admin API purge reaches one replica)",
    ]);
    const refused = analyzeStackText(`${replicated(2, "kong")}${cache("{strategy: redis}")}`);
    expect(refused.errors.map((e) => e.message)).toEqual([
      "strategy redis is a gatestack extension: Kong (gateway.engine kong) has only memory",
    ]);
  });
});

describe("loadStack", () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "gs-load-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it("reads stack.yaml and .env", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "stack.yaml"), BASE);
    await writeFile(join(dir, ".env"), "# secrets\nDEMO_API_KEY='a b#c'\nOTHER=x # note\n");
    const loaded = await loadStack(dir);
    expect(loaded.dir).toBe(dir);
    expect(loaded.file).toBe(join(dir, "stack.yaml"));
    expect(loaded.config.name).toBe("demo");
    expect(loaded.env).toEqual({ DEMO_API_KEY: "a b#c", OTHER: "x" });
  });

  it("no .env gives {}", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "stack.yaml"), BASE);
    expect((await loadStack(dir)).env).toEqual({});
  });

  it("no stack.yaml → E_STACK_NOT_FOUND", async () => {
    const dir = await tempDir();
    await expect(loadStack(dir)).rejects.toMatchObject({ code: "E_STACK_NOT_FOUND" });
  });

  it("an invalid stack.yaml names its path", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "stack.yaml"), BASE.replace("[/api]", "[api]"));
    const err = await loadStack(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackInvalidError);
    expect((err as StackInvalidError).place).toMatch(/stack\.yaml:7:17$/);
  });
});
