import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderStack } from "../../src/render/index.js";
import { validateStack } from "../../src/render/validate.js";
import { initStack } from "../../src/stack/init.js";
import { formatIssue, StackInvalidError } from "../../src/stack/issues.js";
import { loadStack } from "../../src/stack/load.js";
import { initOptions } from "./fixtures.js";

let root: string;
let pristine: { stack: string; env: string };
let dir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gs-validate-"));
  dir = join(root, "shop");
  await initStack(initOptions(dir, { template: "microservices", name: "shop" }));
  pristine = {
    stack: await readFile(join(dir, "stack.yaml"), "utf8"),
    env: await readFile(join(dir, ".env"), "utf8"),
  };
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Rewrite the stack (and render it, so only the change under test is reported). */
async function arrange(edit: {
  stack?: (s: string) => string;
  env?: (s: string) => string;
  render?: boolean;
}) {
  await writeFile(join(dir, "stack.yaml"), (edit.stack ?? ((s) => s))(pristine.stack));
  await writeFile(join(dir, ".env"), (edit.env ?? ((s) => s))(pristine.env));
  if (edit.render !== false) await renderStack(await loadStack(dir));
}

async function errorsOf(opts = {}): Promise<string[]> {
  const err = await validateStack(dir, opts).catch((e: unknown) => e);
  if (!(err instanceof StackInvalidError)) throw new Error(`expected StackInvalidError, got ${String(err)}`);
  return err.errors.map((e) => formatIssue({ ...e, file: e.file.replace(/^.*\//, "") }));
}

const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("validateStack", () => {
  it("a freshly initialised and rendered stack is valid", async () => {
    await arrange({});
    const report = await validateStack(dir);
    expect(report).toMatchObject({ valid: true, services: 3, routes: 3, consumers: 1, warnings: [] });
    expect(report.checks).toEqual([
      "stack.yaml",
      "plugin configs",
      "service folders",
      ".env",
      "generated files",
      "gateway config",
    ]);
  });

  it("generated files not rendered yet", async () => {
    await arrange({ stack: (s) => s.replace("replicas: 2", "replicas: 3"), render: false });
    const [line] = await errorsOf();
    expect(line).toMatch(
      /^compose\.yaml:1:1: generated files are out of date with stack\.yaml: compose\.yaml \(stale\), .*run `stack render`$/,
    );
    await expect(validateStack(dir, { rendered: false })).resolves.toMatchObject({ valid: true });
  });

  it("a consumer credential missing from .env is reported where stack.yaml names it", async () => {
    await arrange({ env: (s) => s.replace(/^DEMO_API_KEY=.*$/m, "DEMO_API_KEY=") });
    const line = lineOf(pristine.stack, "key_env: DEMO_API_KEY");
    expect(await errorsOf()).toEqual([
      `stack.yaml:${line}:20: consumers[0].credentials.key-auth[0].key_env: DEMO_API_KEY is not set in .env or the environment (API key of consumer demo (key-auth)); add DEMO_API_KEY=<value> to .env`,
    ]);
  });

  it("the environment fills what .env lacks or leaves empty", async () => {
    await arrange({
      env: (s) =>
        s.replace(/^DEMO_API_KEY=.*\n/m, "").replace(/^GATEWAY_ADMIN_TOKEN=.*$/m, "GATEWAY_ADMIN_TOKEN="),
    });
    const environment = { DEMO_API_KEY: "from-ci", GATEWAY_ADMIN_TOKEN: "from-ci" };
    await expect(validateStack(dir, { environment })).resolves.toMatchObject({ valid: true });
    // Unset or empty in the environment does not count; without the option it is not read at all.
    const names = (lines: string[]) => lines.map((l) => l.match(/ ([A-Z_]+) is not set/)?.[1]);
    expect(
      names(await errorsOf({ environment: { DEMO_API_KEY: "", GATEWAY_ADMIN_TOKEN: undefined } })),
    ).toEqual(["DEMO_API_KEY", "GATEWAY_ADMIN_TOKEN"]);
    expect(names(await errorsOf())).toEqual(["DEMO_API_KEY", "GATEWAY_ADMIN_TOKEN"]);
  });

  it("an addon's password missing from .env", async () => {
    await arrange({
      stack: (s) =>
        s.replace("grafana: false", "grafana: true").replace("prometheus: false", "prometheus: true"),
      env: (s) => s.replace(/^GRAFANA_ADMIN_PASSWORD=.*\n/m, ""),
    });
    expect(await errorsOf()).toEqual([
      ".env:1:1: GRAFANA_ADMIN_PASSWORD is not set in .env or the environment (Grafana's admin password); add GRAFANA_ADMIN_PASSWORD=<value> to .env",
    ]);
  });

  it("the Redis password missing from .env, with several gateway replicas (none with one)", async () => {
    await arrange({ env: (s) => s.replace(/^REDIS_PASSWORD=.*\n/m, "") });
    expect(await errorsOf()).toEqual([
      ".env:1:1: REDIS_PASSWORD is not set in .env or the environment (Password of the stack's Redis, where gateway replicas share rate-limiting counters and cached responses); add REDIS_PASSWORD=<value> to .env",
    ]);
    await arrange({
      stack: (s) => s.replace("replicas: 2", "replicas: 1"),
      env: (s) => s.replace(/^REDIS_PASSWORD=.*\n/m, ""),
    });
    await expect(validateStack(dir)).resolves.toMatchObject({ valid: true });
  });

  it("the PostgreSQL password missing from .env, with gateway.database postgres (none DB-less)", async () => {
    const database = (s: string) =>
      s.replace(/^ {2}engine: gatestack$/m, "  engine: gatestack\n  database: postgres");
    const withoutPassword = (s: string) => s.replace(/^POSTGRES_PASSWORD=.*\n/m, "");
    expect(pristine.env).toMatch(/^POSTGRES_PASSWORD=[A-Za-z0-9_-]{43}$/m);
    await arrange({ stack: database, env: withoutPassword });
    const line = lineOf(database(pristine.stack), "database: postgres");
    expect(await errorsOf()).toEqual([
      `stack.yaml:${line}:13: gateway.database: POSTGRES_PASSWORD is not set in .env or the environment (Password of the stack's PostgreSQL, where the gateways keep their configuration (gateway.database postgres)); add POSTGRES_PASSWORD=<value> to .env`,
    ]);
    await arrange({ stack: database });
    await expect(validateStack(dir)).resolves.toMatchObject({ valid: true });
    await arrange({ env: withoutPassword });
    await expect(validateStack(dir)).resolves.toMatchObject({ valid: true });
  });

  it("gateway.database postgres in a folder rendered for a target that cannot run it", async () => {
    const database = (s: string) =>
      s.replace(/^ {2}engine: gatestack$/m, "  engine: gatestack\n  database: postgres");
    await arrange({});
    await renderStack(await loadStack(dir), { target: "swarm" });
    try {
      await arrange({ stack: database });
      const line = lineOf(database(pristine.stack), "database: postgres");
      expect(await errorsOf()).toEqual([
        `stack.yaml:${line}:13: gateway.database: postgres is not supported for the swarm target yet (a Swarm stack has no depends_on, so nothing holds the gateways back until the migrations job has run); use the compose target (stack up), or gateway.database: off`,
      ]);
    } finally {
      // the folder forgets the swarm target (its files and the manifest recording them) for the next tests
      await rm(join(dir, "deploy"), { recursive: true, force: true });
      await rm(join(dir, ".gatestack", "generated.json"), { force: true });
    }
    // rendered for compose only, the same stack.yaml is valid
    await arrange({ stack: database });
    await expect(validateStack(dir)).resolves.toMatchObject({ valid: true });
  });

  it("plugin configs are checked against the gateway plugin's schema, with did-you-mean", async () => {
    await arrange({
      stack: (s) => s.replace("minute: 60", "minute: lots").replace("cache_ttl: 30", "cache_tl: 30"),
      render: false,
    });
    const minute = lineOf(pristine.stack, "minute: 60");
    const ttl = lineOf(pristine.stack, "cache_ttl: 30");
    expect(await errorsOf()).toEqual([
      `stack.yaml:${minute}:19: services[1].plugins[1].config.minute: expected number, got string "lots"`,
      `stack.yaml:${ttl}:11: services[2].plugins[0].config.cache_tl: unknown key "cache_tl" — did you mean "cache_ttl"?`,
    ]);
  });

  it("plugins on scopes the gateway forbids", async () => {
    await arrange({
      stack: (s) =>
        s.replace("  - username: demo\n", "  - username: demo\n    plugins: [{name: key-auth}]\n"),
      render: false,
    });
    const line = lineOf(pristine.stack, "- username: demo") + 1;
    expect(await errorsOf()).toEqual([
      `stack.yaml:${line}:22: consumers[0].plugins[0].name: plugin "key-auth" cannot be applied to a consumer`,
    ]);
  });

  it("an app folder without its Dockerfile", async () => {
    await arrange({
      stack: (s) => s.replace("  - name: users\n", "  - name: users\n    source: services/nowhere\n"),
    });
    const line = lineOf(pristine.stack, "- name: users") + 1;
    expect(await errorsOf({ rendered: false })).toEqual([
      `stack.yaml:${line}:13: services[0].source: services/nowhere/ not found: the folder with the app and its Dockerfile`,
    ]);
  });
});
