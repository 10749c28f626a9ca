/**
 * gateway.database: postgres in compose.yaml: the postgres service, the one-shot
 * gateway-migrations job and the gateways' database settings — structure, the Compose
 * Specification schema, and the rendered healthcheck, migrations command and gateway
 * environment run for real (a real PostgreSQL from test/support/postgres.ts, the real
 * `stack gateway migrations|serve` from dist/, Compose's own interpolation). Only addresses
 * differ from a container: KONG_PG_HOST/PORT and the healthcheck's -p point at the test
 * cluster, the gateway listens on local ports.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Ajv } from "ajv";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GatestackError } from "../../src/errors.js";
import { COMPOSE_PATH } from "../../src/render/compose.js";
import type { ComposeFile, ComposeService } from "../../src/render/compose-model.js";
import { GATEWAY_CONFIG_FILE } from "../../src/render/gateway.js";
import { planRender } from "../../src/render/index.js";
import { interpolateString } from "../../src/runtime/compose/interpolate.js";
import type { StackConfig } from "../../src/stack/schema.js";
import { startTestPostgres, type TestPostgres } from "../support/postgres.js";
import { freePort, startProcess } from "../support/processes.js";
import { ALL_ADDONS, microservicesStack, monolithStack, stackMatrix } from "./fixtures.js";
import { artifact, artifactsOf, healthTest, yamlOf } from "./support.js";

const run = promisify(execFile);
const REPO = fileURLToPath(new URL("../../", import.meta.url));

const schemaPath = new URL("../conformance/compose-spec.schema.json", import.meta.url);
const { $schema: _ignored, ...composeSchema } = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<
  string,
  unknown
>;
const validateCompose = new Ajv({ strict: false, allErrors: true }).compile(composeSchema);

const composeOf = (stack: StackConfig) => yamlOf<ComposeFile>(artifactsOf(stack), COMPOSE_PATH);

/** A stack with its gateway in database mode (the rest as given). */
function withDatabase(stack: StackConfig): StackConfig {
  return { ...stack, gateway: { ...stack.gateway, database: "postgres" } };
}

const DATABASE_STACKS: Array<{ label: string; stack: StackConfig }> = [
  { label: "monolith", stack: withDatabase(monolithStack()) },
  {
    label: "microservices, 2 gateway replicas, every addon",
    stack: withDatabase(microservicesStack({}, ALL_ADDONS)),
  },
  {
    label: "microservices, kong engine, 3 replicas",
    stack: withDatabase(microservicesStack({ gateway: { engine: "kong", replicas: 3 } })),
  },
  {
    label: "monolith, images.gateway and images.postgres overridden",
    stack: withDatabase(
      monolithStack({
        images: { gateway: "mirror.example/gateway:1", postgres: "mirror.example/postgres:15" },
      }),
    ),
  },
];

const PG_ENV_NAMES = [
  "KONG_DATABASE",
  "KONG_PG_HOST",
  "KONG_PG_PORT",
  "KONG_PG_USER",
  "KONG_PG_PASSWORD",
  "KONG_PG_DATABASE",
];

describe("database mode against the Compose Specification schema", () => {
  for (const { label, stack } of DATABASE_STACKS) {
    it(`is valid: ${label}`, () => {
      const doc = composeOf(stack);
      const ok = validateCompose(doc);
      expect(validateCompose.errors ?? [], label).toEqual([]);
      expect(ok).toBe(true);
    });
  }
});

describe("gateway.database off (the default)", () => {
  it("renders byte for byte what a stack.yaml without the key renders, with no database in it", () => {
    for (const { label, stack } of stackMatrix()) {
      expect(stack.gateway.database, label).toBe("off");
      const explicit = { ...stack, gateway: { ...stack.gateway, database: "off" as const } };
      expect(planRender({ dir: "/x", config: explicit }), label).toEqual(
        planRender({ dir: "/x", config: stack }),
      );
      const doc = composeOf(stack);
      expect(Object.keys(doc.services), label).not.toContain("postgres");
      expect(Object.keys(doc.services), label).not.toContain("gateway-migrations");
      expect(doc.services.gateway!.environment!.KONG_DATABASE, label).toBe("off");
      expect(doc.services.gateway!.environment!.KONG_DECLARATIVE_CONFIG, label).toBe(
        "/etc/gateway/gateway.yaml",
      );
      for (const name of PG_ENV_NAMES.slice(1))
        expect(doc.services.gateway!.environment, label).not.toHaveProperty(name);
    }
  });
});

describe("gateway.database postgres in compose.yaml", () => {
  for (const { label, stack } of DATABASE_STACKS) {
    it(`holds for ${label}`, () => {
      const doc = composeOf(stack);
      const kong = stack.gateway.engine === "kong";

      // PostgreSQL: role and database kong, the password only from .env, data in a named volume,
      // backend only, nothing published, a healthcheck over TCP.
      const pg = doc.services.postgres!;
      expect(pg.image).toBe(stack.images.postgres ?? "postgres:15");
      expect(pg.restart).toBe("unless-stopped");
      expect(pg.environment).toEqual({
        POSTGRES_USER: "kong",
        POSTGRES_DB: "kong",
        POSTGRES_PASSWORD: `\${POSTGRES_PASSWORD}`,
      });
      expect(pg.volumes).toEqual(["postgres_data:/var/lib/postgresql/data"]);
      expect(doc.volumes).toHaveProperty("postgres_data");
      expect(pg.networks).toEqual(["backend"]);
      expect(pg.ports).toBeUndefined();
      expect(pg.depends_on).toBeUndefined();
      expect(healthTest(pg)).toEqual([
        "CMD",
        "pg_isready",
        "-h",
        "127.0.0.1",
        "-p",
        "5432",
        "-U",
        "kong",
        "-d",
        "kong",
      ]);

      // The migrations job: the gateway's image, once, after PostgreSQL is healthy.
      const gateway = doc.services.gateway!;
      const job = doc.services["gateway-migrations"]!;
      expect(job.image).toBe(gateway.image);
      expect(job.build).toEqual(gateway.build);
      expect(job.restart).toBe("no");
      const migrations = kong ? "kong migrations" : "node bin/run.js gateway migrations";
      expect(job.command).toEqual(["sh", "-c", `${migrations} bootstrap && ${migrations} up`]);
      expect(job.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
      expect(job.networks).toEqual(["backend"]);
      expect(job.healthcheck).toEqual({ disable: true });
      expect(job.ports).toBeUndefined();
      expect(job.deploy).toBeUndefined();
      const pgEnv = {
        KONG_DATABASE: "postgres",
        KONG_PG_HOST: "postgres",
        KONG_PG_PORT: "5432",
        KONG_PG_USER: "kong",
        KONG_PG_PASSWORD: `\${POSTGRES_PASSWORD}`,
        KONG_PG_DATABASE: "kong",
      };
      expect(job.environment).toEqual(pgEnv);

      // Every gateway replica: the same settings, no declarative config, after the job exited 0.
      expect(gateway.environment).toMatchObject(pgEnv);
      expect(gateway.environment).not.toHaveProperty("KONG_DECLARATIVE_CONFIG");
      expect(Object.keys(gateway.environment!).slice(0, PG_ENV_NAMES.length)).toEqual(PG_ENV_NAMES);
      expect(gateway.depends_on!["gateway-migrations"]).toEqual({
        condition: "service_completed_successfully",
      });
      expect(gateway.depends_on).not.toHaveProperty("postgres");
      for (const app of stack.services)
        expect(gateway.depends_on![app.name]).toEqual({ condition: "service_healthy" });
      expect(gateway.deploy).toEqual({ replicas: stack.gateway.replicas });
      // gateway.yaml is still rendered and mounted (what seeds the database), unchanged by the mode
      expect(gateway.volumes).toEqual(["./config/gateway:/etc/gateway:ro"]);
      const dbLess = { ...stack, gateway: { ...stack.gateway, database: "off" as const } };
      expect(artifact(artifactsOf(stack), GATEWAY_CONFIG_FILE).content).toBe(
        artifact(artifactsOf(dbLess), GATEWAY_CONFIG_FILE).content,
      );

      // The password's value is nowhere: only the interpolation.
      expect(artifact(artifactsOf(stack), COMPOSE_PATH).content).toMatch(/\$\{POSTGRES_PASSWORD\}/);
      // Every dependency exists.
      for (const [name, svc] of Object.entries(doc.services) as Array<[string, ComposeService]>)
        for (const dep of Object.keys(svc.depends_on ?? {}))
          expect(doc.services, `${name} depends on ${dep}`).toHaveProperty(dep);
    });
  }

  it("runs kong's own migrations in the kong image for gateway.engine kong", () => {
    const doc = composeOf(withDatabase(monolithStack({ gateway: { engine: "kong" } })));
    const job = doc.services["gateway-migrations"]!;
    expect(job.image).toBe("kong:3.9");
    expect(job.build).toBeUndefined();
    expect(job.command).toEqual(["sh", "-c", "kong migrations bootstrap && kong migrations up"]);
    // Kong's Admin API stays on loopback in database mode too
    expect(doc.services.gateway!.environment!.KONG_ADMIN_LISTEN).toBe("127.0.0.1:8001");
  });

  it("gives the Jenkins pipeline POSTGRES_PASSWORD, which its stack validate needs", () => {
    const doc = composeOf(withDatabase(monolithStack({}, { jenkins: true })));
    expect(doc.services.jenkins!.environment!.POSTGRES_PASSWORD).toBe(`\${POSTGRES_PASSWORD}`);
    expect(composeOf(monolithStack({}, { jenkins: true })).services.jenkins!.environment).not.toHaveProperty(
      "POSTGRES_PASSWORD",
    );
  });
});

describe("targets that cannot run database mode yet", () => {
  for (const target of ["swarm", "kubernetes"] as const) {
    it(`${target}: refused, naming gateway.database`, () => {
      const stack = withDatabase(microservicesStack());
      let thrown: unknown;
      try {
        planRender({ dir: "/x", config: stack }, target);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(GatestackError);
      const err = thrown as GatestackError;
      expect(err.code).toBe("E_USAGE");
      expect(err.place).toBe("gateway.database");
      expect(err.message).toMatch(
        new RegExp(
          `^postgres is not supported for the ${target} target yet \\(.+\\); use the compose target`,
        ),
      );
      // DB-less, the same stack renders
      expect(planRender({ dir: "/x", config: microservicesStack() }, target).length).toBeGreaterThan(0);
    });
  }
});

describe("the rendered postgres healthcheck and migrations job, run for real", () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 60_000);
  afterAll(() => pg?.destroy());

  /** An argv as the container gets it: Compose-interpolated from .env. */
  const interpolated = (argv: string[], env: Record<string, string>) =>
    argv.map((arg) => interpolateString(arg, (name) => env[name]));

  async function exitCode(file: string, args: string[], env: Record<string, string>): Promise<number> {
    try {
      await run(file, args, {
        cwd: REPO,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
        timeout: 60_000,
      });
      return 0;
    } catch (err) {
      return typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1;
    }
  }

  it("pg_isready answers 0 for the running server as kong, not once it is stopped", async () => {
    const [kind, file, ...args] = healthTest(composeOf(withDatabase(monolithStack())).services.postgres!);
    expect(kind).toBe("CMD");
    const local = args.map((a) => (a === "5432" ? String(pg.port) : a));
    expect(await exitCode(file!, local, {})).toBe(0);
    await pg.stop();
    try {
      expect(await exitCode(file!, local, {})).not.toBe(0);
    } finally {
      await pg.start();
    }
  }, 60_000);

  it("bootstraps an empty database, and running again (the next stack up) succeeds with nothing to do", async () => {
    const database = await pg.createDatabase();
    const job = composeOf(withDatabase(monolithStack())).services["gateway-migrations"]!;
    const dotEnv = { POSTGRES_PASSWORD: pg.password };
    const env = Object.fromEntries(
      Object.entries(job.environment!).map(([k, v]) => [
        k,
        interpolateString(v, (n) => dotEnv[n as keyof typeof dotEnv]),
      ]),
    );
    expect(env.KONG_PG_PASSWORD).toBe(pg.password);
    // the container's address of the database is the test cluster's here
    Object.assign(env, { KONG_PG_HOST: pg.host, KONG_PG_PORT: String(pg.port), KONG_PG_DATABASE: database });
    const [file, ...args] = interpolated(job.command!, dotEnv);

    expect(await exitCode(file!, args, env)).toBe(0);
    const tables = await pg.sql(
      "select count(*) from information_schema.tables where table_schema = 'public'",
      database,
    );
    expect(Number(tables.trim())).toBeGreaterThan(0);
    expect(await exitCode(file!, args, env)).toBe(0);
    // ready for `gateway serve`: status exits 0 (3 when not bootstrapped or behind)
    expect(await exitCode("node", ["bin/run.js", "gateway", "migrations", "status"], env)).toBe(0);
    // a wrong password fails the job, so the gateways never start on it
    expect(await exitCode(file!, args, { ...env, KONG_PG_PASSWORD: "wrong" })).not.toBe(0);
  }, 120_000);

  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (stops.length > 0) await stops.pop()!();
  });

  /** The gateway's rendered environment, interpolated from .env, on the test cluster and local ports. */
  async function gatewayEnv(database: string): Promise<{ env: Record<string, string>; status: string }> {
    const gateway = composeOf(withDatabase(monolithStack())).services.gateway!;
    const dotEnv: Record<string, string> = {
      POSTGRES_PASSWORD: pg.password,
      GATEWAY_ADMIN_TOKEN: "test-admin-token",
      DEMO_API_KEY: "demo-key",
    };
    const env = Object.fromEntries(
      Object.entries(gateway.environment!).map(([k, v]) => [k, interpolateString(v, (n) => dotEnv[n])]),
    );
    const [proxy, admin, status] = [await freePort(), await freePort(), await freePort()];
    Object.assign(env, {
      KONG_PG_HOST: pg.host,
      KONG_PG_PORT: String(pg.port),
      KONG_PG_DATABASE: database,
      KONG_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      KONG_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      KONG_STATUS_LISTEN: `127.0.0.1:${status}`,
    });
    return { env, status: `http://127.0.0.1:${status}` };
  }

  it("a gateway with the rendered environment refuses an unmigrated database, and turns ready once the job ran", async () => {
    const database = await pg.createDatabase();
    const { env, status } = await gatewayEnv(database);
    // before the job: exits non-zero, naming the migrations command (why the gateways wait for it)
    let refused = "";
    try {
      await run(process.execPath, ["bin/run.js", "gateway", "serve"], {
        cwd: REPO,
        env: { PATH: process.env.PATH ?? "", ...env },
        timeout: 30_000,
      });
    } catch (err) {
      refused = String((err as { stderr?: unknown }).stderr ?? err);
    }
    expect(refused).toMatch(/migrations (bootstrap|up)/);

    const job = composeOf(withDatabase(monolithStack())).services["gateway-migrations"]!;
    expect(
      await exitCode(job.command![0]!, job.command!.slice(1), {
        ...job.environment!,
        KONG_PG_PASSWORD: pg.password,
        KONG_PG_HOST: pg.host,
        KONG_PG_PORT: String(pg.port),
        KONG_PG_DATABASE: database,
      }),
    ).toBe(0);

    const gw = await startProcess(process.execPath, ["bin/run.js", "gateway", "serve"], {
      cwd: REPO,
      env,
      readyUrl: `${status}/status`,
      timeoutMs: 30_000,
    });
    stops.push(gw.stop);
    let ready = 0;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && ready !== 200; ) {
      ready = (await fetch(`${status}/status/ready`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready, gw.output()).toBe(200);
    const body = (await (await fetch(`${status}/status`)).json()) as { database?: { reachable?: boolean } };
    expect(body.database?.reachable).toBe(true);
  }, 120_000);
});
