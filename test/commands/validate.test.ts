import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MINIMAL_STACK_YAML } from "../stack/fixtures.js";

const bin = new URL("../../bin/run.js", import.meta.url).pathname;

const BASE = MINIMAL_STACK_YAML;
const SECOND = (service: string, route: string, path: string) =>
  `  - name: ${service}\n    routes:\n      - name: ${route}\n        paths: [${path}]\n`;

/** issue 2 "Bad input": each gives one clear line naming the place, exit ≠ 0, nothing written. */
const BAD: { name: string; text: string; line: string }[] = [
  {
    name: "malformed YAML",
    text: "name: demo\n  template: monolith\n",
    line: "✗ stack.yaml:1:7: invalid YAML: Nested mappings are not allowed in compact mappings",
  },
  {
    name: "unknown template",
    text: BASE.replace("monolith", "monolit"),
    line: '✗ stack.yaml:2:11: template: unknown template "monolit" — did you mean "monolith"?',
  },
  {
    name: "bad domain",
    text: `domain: exa_mple..com\n${BASE}`,
    line: '✗ stack.yaml:1:9: domain: must be a hostname such as localhost or api.example.com (got "exa_mple..com")',
  },
  {
    name: "route path without leading slash",
    text: BASE.replace("[/api]", "[api]"),
    line: "✗ stack.yaml:7:17: services[0].routes[0].paths[0]: must start with '/' (or '~/' for a regex path)",
  },
  {
    name: "duplicate service name",
    text: BASE + SECOND("app", "other", "/other"),
    line: '✗ stack.yaml:8:11: services[1].name: duplicate service name "app" (also services[0])',
  },
  {
    name: "duplicate route name",
    text: BASE + SECOND("other", "api", "/other"),
    line: '✗ stack.yaml:10:15: services[1].routes[0].name: duplicate route name "api" (also services[0].routes[0])',
  },
  {
    name: "two services on one path",
    text: BASE + SECOND("other", "other", "/api"),
    line: '✗ stack.yaml:11:17: services[1].routes[0].paths[0]: two services on one path: path "/api" is already routed to service "app" (route "api") with the same hosts, methods and headers',
  },
  {
    name: "app named like one of the stack's own services",
    text: BASE.replace("name: app", "name: caddy"),
    line: '✗ stack.yaml:4:11: services[0].name: service name "caddy" is used by the stack itself; choose another (reserved: caddy, gateway, redis, postgres, gateway-migrations, prometheus, grafana, elasticsearch, logstash, kibana, jenkins)',
  },
  {
    name: "JWT credential without its secret",
    text: `${BASE}consumers:\n  - username: alice\n    credentials: {jwt: [{key: alice}]}\n`,
    line: "✗ stack.yaml:10:25: consumers[0].credentials.jwt[0].secret_env: is required for algorithm HS256: the .env variable holding the HMAC secret",
  },
  {
    name: "unknown plugin name",
    text: `${BASE}        plugins: [{name: rate-limitting}]\n`,
    line: '✗ stack.yaml:8:26: services[0].routes[0].plugins[0].name: unknown plugin "rate-limitting" — did you mean "rate-limiting"?',
  },
];

// Each test spawns the CLI (a Node start-up each time): generous on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gs-cmd-validate-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe.concurrent("bad stack.yaml: validate and render both refuse it", () => {
  it.each(BAD)("$name", async ({ name, text, line }) => {
    const dir = join(root, name.replace(/\W+/g, "-"));
    await mkdir(dir);
    await writeFile(join(dir, "stack.yaml"), text);

    const [validate, render] = await Promise.all([
      execa(bin, ["validate", "--dir", dir], { reject: false, cwd: dir }),
      execa(bin, ["render", "--dir", dir], { reject: false, cwd: dir }),
    ]);
    expect(validate.exitCode).toBe(1);
    expect(validate.stdout).toBe("");
    expect(validate.stderr.split("\n").filter((l) => l.startsWith("✗"))).toEqual([line]);

    expect(render.exitCode).not.toBe(0);
    expect(render.stderr.split("\n")[0]).toBe(line);
    expect(await readdir(dir)).toEqual(["stack.yaml"]);
  });
});

describe("validate output", () => {
  it("lists every error, one per line; --json carries them all", async () => {
    const dir = join(root, "many");
    await mkdir(dir);
    await writeFile(join(dir, "stack.yaml"), BASE.replace("monolith", "monolit").replace("[/api]", "[api]"));
    const human = await execa(bin, ["validate"], { reject: false, cwd: dir });
    expect(human.exitCode).toBe(1);
    expect(human.stderr.split("\n").filter((l) => l.startsWith("✗"))).toHaveLength(2);

    const json = await execa(bin, ["validate", "--json"], { reject: false, cwd: dir });
    expect(json.exitCode).toBe(1);
    const doc = JSON.parse(json.stdout) as {
      error: { code: string; place: string; data: { errors: unknown[] } };
    };
    expect(doc.error).toMatchObject({ code: "E_STACK_INVALID", place: "stack.yaml:2:11" });
    expect(doc.error.data.errors).toHaveLength(2);
  });

  it("reads the variables stack.yaml needs from the process environment where .env lacks them", async () => {
    const dir = join(root, "ci-checkout");
    await mkdir(join(dir, "services", "app"), { recursive: true });
    await writeFile(join(dir, "services", "app", "Dockerfile"), "FROM scratch\n");
    await writeFile(join(dir, "stack.yaml"), BASE);
    expect((await execa(bin, ["render"], { cwd: dir })).exitCode).toBe(0);
    // A CI checkout: no .env, and only what the CI puts in the environment.
    const validate = (env: Record<string, string>) =>
      execa(bin, ["validate"], {
        reject: false,
        cwd: dir,
        extendEnv: false,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      });
    const without = await validate({});
    expect(without.exitCode).toBe(1);
    expect(without.stderr).toContain("✗ .env:1:1: GATEWAY_ADMIN_TOKEN is not set in .env or the environment");
    const withToken = await validate({ GATEWAY_ADMIN_TOKEN: "from-the-ci-secret-store" });
    expect(withToken.exitCode, withToken.stderr).toBe(0);
    expect(withToken.stdout).toContain("✓ stack.yaml is valid");
  });

  it("no stack.yaml", async () => {
    const dir = join(root, "nothing");
    await mkdir(dir);
    const r = await execa(bin, ["validate", "--dir", dir], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("no stack.yaml in");
  });
});
