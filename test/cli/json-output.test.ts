/**
 * `--json` on every command, checked: every command of the CLI (command-snapshot's list, from the built
 * CLI) that has --json has a JSON Schema of its output in schema/commands/<id, spaces as dashes>.schema.json,
 * and at least one case in test/cli/json-cases.ts; each case runs the real built CLI (bin/run.js) and
 * its stdout is validated — a result against the command's schema, an error against schema/error.schema.json.
 * Unknown commands and flags under --json give the same error document.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandSnapshot } from "../../src/cli/command-snapshot.js";
import { bootstrap } from "../../src/gateway/store/postgres/migrations.js";
import { DEFAULT_POSTGRES } from "../../src/gateway/store/postgres/settings.js";
import { startTestGateway } from "../support/gateway.js";
import { startTestPostgres, type TestPostgres } from "../support/postgres.js";
import { type StandInEngine, startStandInEngine } from "../support/stand-in-engine.js";
import { JSON_CASES, type JsonCase, type JsonCaseContext } from "./json-cases.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "bin/run.js");
const schemaDir = join(root, "schema");
const TOKEN = "json-output-token";

/** schema/commands/<file> of a command id: `gateway:sync` → gateway-sync.schema.json */
const schemaFileOf = (id: string) => `${id.replace(/:/g, "-")}.schema.json`;

const commands = await commandSnapshot(root);
const withJson = commands.filter((c) => c.flags.includes("json"));
const ours = commands.filter((c) => c.plugin === "gatestack");

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
// strictRequired off: a schema may require a property it leaves open ({"type":"object","required":[…]}).
const ajv = addFormats(new Ajv2020({ allErrors: true, strict: true, strictRequired: false }));
const validators = new Map<string, ValidateFunction>();

async function loadSchemas(): Promise<void> {
  const files = [
    ...(await readdir(schemaDir)).filter((f) => f.endsWith(".schema.json")).map((f) => join(schemaDir, f)),
    ...(await readdir(join(schemaDir, "commands"))).map((f) => join(schemaDir, "commands", f)),
  ];
  for (const file of files) {
    const schema = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    // Relative $refs ("../error.schema.json") resolve against each file's own location.
    const { $id: _id, ...body } = schema;
    ajv.addSchema(body, pathToFileURL(file).href);
  }
}

function validator(file: string): ValidateFunction {
  const key = pathToFileURL(file).href;
  let v = validators.get(key);
  if (!v) {
    const found = ajv.getSchema(key);
    if (!found) throw new Error(`no schema ${file}`);
    v = found;
    validators.set(key, v);
  }
  return v;
}

const explain = (v: ValidateFunction) => ajv.errorsText(v.errors, { separator: "\n  " });

let ctx: JsonCaseContext;
let pg: TestPostgres | undefined;
let engine: StandInEngine | undefined;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  await loadSchemas();
  const tmp = await mkdtemp(join(tmpdir(), "gs-json-output-"));
  closers.push(() => rm(tmp, { recursive: true, force: true }));
  const stackDir = join(tmp, "shop");
  await execa(bin, ["init", stackDir, "--template", "monolith", "--yes"], { env: { NO_COLOR: "1" } });
  const kongFile = join(tmp, "kong.yml");
  await writeFile(
    kongFile,
    `_format_version: "3.0"\nservices:\n  - name: orders\n    url: http://127.0.0.1:9/orders\n    routes:\n      - name: orders\n        paths: [/orders]\nconsumers:\n  - username: demo\n`,
  );
  pg = await startTestPostgres();
  closers.push(() => pg!.destroy());
  const settings = {
    ...DEFAULT_POSTGRES,
    host: pg.host,
    port: pg.port,
    user: pg.user,
    password: pg.password,
  };
  const gwDb = { ...settings, database: await pg.createDatabase(), timeoutMs: 2000 };
  await bootstrap(gwDb);
  const gw = await startTestGateway(undefined, { database: { postgres: gwDb }, adminToken: TOKEN });
  closers.push(() => gw.close());
  const migrationsDb = await pg.createDatabase();
  await bootstrap({ ...settings, database: migrationsDb, timeoutMs: 2000 });
  engine = await startStandInEngine();
  closers.push(() => engine!.close());
  engine.set([
    {
      project: "shop",
      service: "app",
      logs: [
        ["stdout", "2026-01-01T00:00:01.000000000Z", "INFO: started"],
        ["stderr", "2026-01-01T00:00:02.000000000Z", "WARNING: slow request"],
        ["stdout", "2026-01-01T00:00:03.000000000Z", 'GET /health "200 OK"'],
      ],
    },
  ]);
  ctx = {
    tmp,
    stackDir,
    stackName: "shop",
    kongFile,
    adminUrl: gw.adminUrl!,
    pgEnv: pg.env(migrationsDb),
    noEngine: `unix://${join(tmp, "no-engine.sock")}`,
    engineWithLogs: engine.host,
    env: { NO_COLOR: "1", GATEWAY_ADMIN_TOKEN: TOKEN },
  };
}, 120_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe("every command has --json", () => {
  it.each(ours.map((c) => c.command))("stack %s has --json", (id) => {
    expect(
      withJson.map((c) => c.command),
      `stack ${id.replace(/:/g, " ")} lacks --json`,
    ).toContain(id);
  });
});

describe("every --json command has a schema and a case", () => {
  it.each(withJson.map((c) => c.command))("stack %s", async (id) => {
    const file = join(schemaDir, "commands", schemaFileOf(id));
    const exists = await readFile(file, "utf8").then(
      () => true,
      () => false,
    );
    expect(
      exists,
      `stack ${id.replace(/:/g, " ")} has --json but no JSON Schema: add schema/commands/${schemaFileOf(id)} (ARCHITECTURE.md "Adding a command")`,
    ).toBe(true);
    expect(
      JSON_CASES[id]?.length ?? 0,
      `stack ${id.replace(/:/g, " ")} has no case in test/cli/json-cases.ts: add one that runs it with --json`,
    ).toBeGreaterThan(0);
  });

  it("every schema in schema/commands/ belongs to a command (none left over after a rename)", async () => {
    const expected = new Set(withJson.map((c) => schemaFileOf(c.command)));
    const files = await readdir(join(schemaDir, "commands"));
    expect(files.filter((f) => !expected.has(f))).toEqual([]);
    expect(Object.keys(JSON_CASES).filter((id) => !withJson.some((c) => c.command === id))).toEqual([]);
  });
});

function parseOutput(c: JsonCase, stdout: string): unknown[] {
  if ((c.output ?? "document") === "document") return [JSON.parse(stdout)];
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));
}

const cases = Object.entries(JSON_CASES).flatMap(([id, list]) => list.map((c) => ({ id, c })));

interface Run {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}
const runs = new Map<JsonCase, Promise<Run>>();

/** Runs every case once, three at a time (each is a CLI process: all at once would crowd the machine). */
function startRuns(): void {
  let next = 0;
  const waiting = cases.map(() => {
    let resolve!: (run: Run) => void;
    const promise = new Promise<Run>((r) => {
      resolve = r;
    });
    return { promise, resolve };
  });
  for (const [i, { c }] of cases.entries()) runs.set(c, waiting[i]!.promise);
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      const { c } = cases[i]!;
      const r = await execa(bin, c.argv(ctx), {
        reject: false,
        env: { ...ctx.env, ...(c.env?.(ctx) ?? {}) },
        timeout: 60_000,
      });
      waiting[i]!.resolve({ exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });
    }
  };
  for (let w = 0; w < 3; w++) void worker();
}

describe("each command's --json output matches its schema", () => {
  beforeAll(startRuns);

  it.each(cases.map(({ id, c }) => [`${id.replace(/:/g, " ")} --json: ${c.name}`, id, c] as const))(
    "stack %s",
    async (_title, id, c) => {
      const r = await runs.get(c)!;
      const where = `stack ${c.argv(ctx).join(" ")}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;
      expect(r.exitCode, where).toBe(c.exitCode ?? 0);
      const docs = parseOutput(c, r.stdout);
      expect(docs.length, where).toBeGreaterThanOrEqual(c.minLines ?? 1);
      const commandSchema = validator(join(schemaDir, "commands", schemaFileOf(id)));
      const errorSchema = validator(join(schemaDir, "error.schema.json"));
      const last = docs.at(-1) as Record<string, unknown>;
      if (c.fails) {
        const error = c.output === "lines" ? { error: last.error } : last;
        expect(errorSchema(error), `${where}\n  ${explain(errorSchema)}`).toBe(true);
      }
      for (const doc of c.fails && c.output !== "lines" ? [] : docs) {
        expect(commandSchema(doc), `${JSON.stringify(doc)}\n  ${explain(commandSchema)}`).toBe(true);
      }
    },
  );
});

describe("unknown commands and flags under --json: the same error document", () => {
  const errorOf = async (argv: string[]) => {
    const r = await execa(bin, argv, { reject: false, env: { NO_COLOR: "1" } });
    const doc = JSON.parse(r.stdout) as unknown;
    const v = validator(join(schemaDir, "error.schema.json"));
    expect(v(doc), `${r.stdout}\n  ${explain(v)}`).toBe(true);
    return {
      exitCode: r.exitCode,
      error: (doc as { error: Record<string, string> }).error,
      stderr: r.stderr,
    };
  };

  it("an unknown flag", async () => {
    const r = await errorOf(["render", "--json", "--bogus"]);
    expect(r.exitCode).toBe(2);
    expect(r.error.code).toBe("E_USAGE");
  });

  it("an unknown flag of a stream command (stack logs)", async () => {
    const r = await execa(bin, ["logs", "--json", "--bogus"], { reject: false, env: { NO_COLOR: "1" } });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: "result", error: { code: "E_USAGE" } });
  });

  it("an unknown flag of one of oclif's commands (stack version)", async () => {
    const r = await errorOf(["version", "--json", "--bogus"]);
    expect(r.exitCode).toBe(2);
    expect(r.error.code).toBe("E_USAGE");
    expect(r.error.message).toContain("--bogus");
  });

  it("an unknown command names the closest one", async () => {
    const r = await errorOf(["rnder", "--json"]);
    expect(r.exitCode).toBe(127);
    expect(r.error.code).toBe("E_COMMAND_NOT_FOUND");
    expect(r.error.message).toBe("rnder is not a stack command");
    expect(r.error.hint).toContain("stack render");
  });
});
