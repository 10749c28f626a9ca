import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseEnvFile } from "../../src/stack/env-file.js";
import { initStack, parseAddonList, parseTemplateName } from "../../src/stack/init.js";
import { parseStackText } from "../../src/stack/load.js";
import { verifyBasicauthHash } from "../../src/stack/secrets.js";
import { initOptions } from "./fixtures.js";

const roots: string[] = [];
async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "gs-init-"));
  roots.push(root);
  return root;
}
afterEach(async () => {
  await Promise.all(roots.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const read = (dir: string, path: string) => readFile(join(dir, path), "utf8");

/** What a fresh stack folder holds after `initStack`. */
const STACK_FOLDER_ENTRIES = [".env", ".gatestack", ".gitignore", "services", "stack.yaml"];

const STACK_WIDE_VARS = [
  "GATEWAY_ADMIN_TOKEN",
  "TOOLS_BASICAUTH_USER",
  "TOOLS_BASICAUTH_PASSWORD",
  "TOOLS_BASICAUTH_HASH",
  "GRAFANA_ADMIN_PASSWORD",
  "JENKINS_ADMIN_PASSWORD",
  "REDIS_PASSWORD",
  "POSTGRES_PASSWORD",
];

describe("initStack: monolith", () => {
  it("writes stack.yaml, services/app, .env, .gitignore and the schema stack.yaml names", async () => {
    const dir = join(await tempRoot(), "demo");
    const result = await initStack(initOptions(dir));
    expect(result.written).toEqual([
      "stack.yaml",
      ".env",
      ".gitignore",
      ".gatestack/stack.schema.json",
      "services/app",
    ]);
    expect(result.kept).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(STACK_FOLDER_ENTRIES);
    expect((await readdir(join(dir, "services", "app"))).sort()).toEqual([
      ".dockerignore",
      "Dockerfile",
      "main.py",
      "request_id.py",
      "requirements.txt",
    ]);
    expect((await stat(dir)).mode & 0o777).toBe(0o777 & ~process.umask() & 0o777);

    const text = await read(dir, "stack.yaml");
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=./.gatestack/stack.schema.json");
    const config = parseStackText(text);
    expect(config.template).toBe("monolith");
    expect(config.services.map((s) => s.name)).toEqual(["app"]);
    const [api, priv] = config.services[0]!.routes;
    expect(api).toMatchObject({ name: "api", paths: ["/api"], strip_path: true });
    expect(priv).toMatchObject({ name: "api-private", paths: ["/api/private"], upstream_path: "/private" });
    expect(priv!.plugins.map((p) => p.name)).toEqual(["key-auth"]);
    expect(config.consumers).toMatchObject([
      { username: "demo", credentials: { "key-auth": [{ key_env: "DEMO_API_KEY" }] } },
    ]);
    expect(config.gateway.plugins).toEqual([
      {
        name: "correlation-id",
        enabled: true,
        config: { header_name: "X-Request-ID", generator: "uuid", echo_downstream: true },
      },
    ]);
    expect(Object.values(config.addons).every((a) => !a.enabled)).toBe(true);
    expect(await read(dir, ".gitignore")).toContain(".env\n");
  });

  it("--with all turns every addon on", async () => {
    const dir = join(await tempRoot(), "demo");
    const result = await initStack(initOptions(dir, { addons: parseAddonList("all") }));
    expect(result.addons).toEqual(["prometheus", "grafana", "elk", "jenkins"]);
    const config = parseStackText(await read(dir, "stack.yaml"));
    // every addon `--with` knows (addons.manager is the gateway's own listener, not one of them)
    expect(["prometheus", "grafana", "elk", "jenkins"].every((a) => config.addons[a as "elk"].enabled)).toBe(
      true,
    );
    expect(config.gateway.plugins.map((p) => p.name)).toEqual(["correlation-id"]);
  });

  it("grafana brings prometheus along", async () => {
    const dir = join(await tempRoot(), "demo");
    const result = await initStack(initOptions(dir, { addons: ["grafana"] }));
    expect(result.addons).toEqual(["prometheus", "grafana"]);
  });
});

describe("initStack: microservices", () => {
  for (const addons of [[], ["prometheus", "grafana", "elk", "jenkins"]] as const) {
    it(`users, orders and catalog by prefix (addons: ${addons.join(",") || "none"})`, async () => {
      const dir = join(await tempRoot(), "shop");
      await initStack(initOptions(dir, { template: "microservices", name: "shop", addons }));
      const config = parseStackText(await read(dir, "stack.yaml"));
      expect(config.gateway.replicas).toBe(2);
      expect(config.services.map((s) => [s.name, s.routes[0]!.paths, s.routes[0]!.strip_path])).toEqual([
        ["users", ["/api/users"], true],
        ["orders", ["/api/orders"], true],
        ["catalog", ["/api/catalog"], true],
      ]);
      const orders = config.services[1]!;
      expect(orders.plugins.map((p) => p.name)).toEqual(["key-auth", "rate-limiting"]);
      expect(config.services[2]!.plugins.map((p) => p.name)).toEqual(["proxy-cache"]);
      expect(config.addons.elk.enabled).toBe(addons.length > 0);
      for (const name of ["users", "orders", "catalog"]) {
        const files = await readdir(join(dir, "services", name));
        expect(files.sort()).toEqual([
          ".dockerignore",
          "Dockerfile",
          "main.py",
          "request_id.py",
          "requirements.txt",
        ]);
        expect(await read(dir, `services/${name}/Dockerfile`)).toContain("ARG PYTHON_IMAGE=python:3.12-slim");
      }
    });
  }
});

describe(".env", () => {
  it("mode 600, every variable random, no placeholders, differing between two inits", async () => {
    const root = await tempRoot();
    await initStack(initOptions(join(root, "a"), { template: "microservices", name: "a" }));
    await initStack(initOptions(join(root, "b"), { template: "microservices", name: "b" }));
    expect((await stat(join(root, "a", ".env"))).mode & 0o777).toBe(0o600);
    const a = parseEnvFile(await read(join(root, "a"), ".env"));
    const b = parseEnvFile(await read(join(root, "b"), ".env"));
    expect(Object.keys(a)).toEqual([...STACK_WIDE_VARS, "DEMO_API_KEY"]);
    for (const [key, value] of Object.entries(a)) {
      // a placeholder is the whole value (a random value may hold "xXx" by chance)
      expect(value, key).not.toMatch(
        /^(|change[-_ ]?me|changeit|todo|placeholder|example|x+|secret|password)$/i,
      );
      if (key !== "TOOLS_BASICAUTH_USER") {
        expect(value.length, key).toBeGreaterThanOrEqual(24);
        expect(b[key], key).not.toBe(value);
      }
    }
    expect(verifyBasicauthHash(a.TOOLS_BASICAUTH_PASSWORD!, a.TOOLS_BASICAUTH_HASH!)).toBe(true);
    // Generated files reference .env; stack.yaml never holds a secret.
    const stackYaml = await read(join(root, "a"), "stack.yaml");
    for (const value of Object.values(a)) if (value.length > 8) expect(stackYaml).not.toContain(value);
  });
});

describe("refusals and --force", () => {
  it("refuses a non-empty folder and writes nothing", async () => {
    const root = await tempRoot();
    const dir = join(root, "busy");
    await mkdir(dir);
    await writeFile(join(dir, "notes.txt"), "mine");
    await expect(initStack(initOptions(dir))).rejects.toMatchObject({ code: "E_DIR_NOT_EMPTY" });
    expect(await readdir(dir)).toEqual(["notes.txt"]);
    expect(await readdir(root)).toEqual(["busy"]);
  });

  it("fills an existing empty folder", async () => {
    const root = await tempRoot();
    const dir = join(root, "empty");
    await mkdir(dir);
    await initStack(initOptions(dir));
    expect((await readdir(dir)).sort()).toEqual(STACK_FOLDER_ENTRIES);
    expect(await readdir(root)).toEqual(["empty"]);
  });

  it("--force replaces stack.yaml, keeps .env values and user files, never touches an existing app", async () => {
    const root = await tempRoot();
    const dir = join(root, "proj");
    await mkdir(join(dir, "services", "app"), { recursive: true });
    await writeFile(join(dir, "services", "app", "main.py"), "# my app\n");
    await writeFile(join(dir, "stack.yaml"), "old: true\n");
    await writeFile(join(dir, ".env"), "DEMO_API_KEY=kept-key-value-1234567890\nMY_OWN=1\n");
    await writeFile(join(dir, ".gitignore"), "node_modules/\n");
    await writeFile(join(dir, "README.md"), "mine\n");

    const result = await initStack(initOptions(dir, { force: true }));
    expect(result.written).toEqual(["stack.yaml", ".env", ".gitignore", ".gatestack/stack.schema.json"]);
    expect(result.kept).toEqual(["services/app"]);
    expect(await read(dir, "services/app/main.py")).toBe("# my app\n");
    expect(await read(dir, "README.md")).toBe("mine\n");
    expect(parseStackText(await read(dir, "stack.yaml")).name).toBe("demo");
    const env = parseEnvFile(await read(dir, ".env"));
    expect(env.DEMO_API_KEY).toBe("kept-key-value-1234567890");
    expect(env.MY_OWN).toBe("1");
    expect(env.GATEWAY_ADMIN_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(join(dir, ".env"))).mode & 0o777).toBe(0o600);
    expect(await read(dir, ".gitignore")).toMatch(/^node_modules\/\n\n# gatestack\n\.env\n/);
    expect((await readdir(dir)).filter((e) => e.startsWith(".gatestack-init-"))).toEqual([]);
  });
});

describe("bad options write nothing", () => {
  it("bad domain and bad name name the flag", async () => {
    const root = await tempRoot();
    const dir = join(root, "x");
    await expect(initStack(initOptions(dir, { domain: "not a domain" }))).rejects.toMatchObject({
      code: "E_USAGE",
      place: "--domain",
    });
    await expect(initStack(initOptions(dir, { name: "Bad_Name" }))).rejects.toMatchObject({
      code: "E_USAGE",
      place: "--name",
    });
    expect(await readdir(root)).toEqual([]);
  });

  it("unknown template and addon names get a did-you-mean", () => {
    expect(() => parseTemplateName("microservice")).toThrow(
      expect.objectContaining({
        code: "E_TEMPLATE_UNKNOWN",
        message:
          'unknown template "microservice" — did you mean "microservices"? (templates: monolith, microservices)',
      }),
    );
    expect(() => parseAddonList("prometheus,grafna")).toThrow(
      expect.objectContaining({
        code: "E_USAGE",
        place: "--with",
        message: expect.stringContaining('did you mean "grafana"?'),
      }),
    );
    expect(parseAddonList("none")).toEqual([]);
    expect(parseAddonList(" elk , jenkins ")).toEqual(["elk", "jenkins"]);
  });
});
