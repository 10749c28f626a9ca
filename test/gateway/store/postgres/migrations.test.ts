/**
 * The schema's migrations on a real PostgreSQL (Kong's `kong migrations bootstrap|up|status`):
 * applied once each and recorded, a failing one rolled back whole, bootstrap and up serialized across
 * nodes by an advisory lock — and `stack gateway serve --database postgres` refusing a database that
 * is not ready, naming the command that makes it ready. Through the functions and the real CLI.
 */
import { execa } from "execa";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bootstrap,
  type MigrationsStatus,
  migrationsStatus,
  up,
} from "../../../../src/gateway/store/postgres/migrations.js";
import { META_TABLE, MIGRATIONS, type Migration } from "../../../../src/gateway/store/postgres/schema.js";
import { DEFAULT_POSTGRES, type PostgresSettings } from "../../../../src/gateway/store/postgres/settings.js";
import { postgresEnv } from "../../../support/gateway-process.js";
import { startTestPostgres, type TestPostgres } from "../../../support/postgres.js";

const bin = new URL("../../../../bin/run.js", import.meta.url).pathname;
const ALL = MIGRATIONS.map((m) => m.name);
/** The advisory lock migrations take (src/gateway/store/postgres/migrations.ts). */
const MIGRATIONS_LOCK = 0x6761_7465;

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
}, 60_000);
afterAll(async () => {
  await server?.destroy();
});

async function emptyDatabase(): Promise<PostgresSettings> {
  return {
    ...DEFAULT_POSTGRES,
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: await server.createDatabase(),
  };
}

function cli(settings: PostgresSettings, ...args: string[]) {
  return execa(process.execPath, [bin, "gateway", ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...postgresEnv(settings) },
    extendEnv: false,
    reject: false,
    timeout: 30_000,
  });
}

/** one value from SQL */
const value = async (statement: string, database: string) => (await server.sql(statement, database)).trim();

const extra = (name: string, statement: string): Migration => ({ name, statements: [statement] });

describe("migrations", () => {
  it("status of an empty database: not bootstrapped, everything pending", async () => {
    const s = await emptyDatabase();
    const status = await migrationsStatus(s);
    expect(status).toEqual<MigrationsStatus>({
      database: `${s.user}@${s.host}:${s.port}/${s.database}`,
      bootstrapped: false,
      executed: [],
      pending: ALL,
    });
  });

  it("bootstrap runs every migration once; a second bootstrap changes nothing and points at `up`", async () => {
    const s = await emptyDatabase();
    const first = await bootstrap(s);
    expect(first).toMatchObject({
      ran: ALL,
      alreadyBootstrapped: false,
      status: { bootstrapped: true, pending: [] },
    });
    const second = await bootstrap(s);
    expect(second).toMatchObject({ ran: [], alreadyBootstrapped: true, status: { executed: ALL } });
    expect(await value(`SELECT count(*) FROM ${META_TABLE}`, s.database)).toBe(String(ALL.length));
  });

  it("up applies only what is pending, in order, and nothing the second time", async () => {
    const s = await emptyDatabase();
    await bootstrap(s);
    const newer = [
      ...MIGRATIONS,
      extra("001_first", "CREATE TABLE gatestack_extra_a (x int)"),
      extra("002_second", "ALTER TABLE gatestack_extra_a ADD COLUMN y int"),
    ];
    expect((await migrationsStatus(s, newer)).pending).toEqual(["001_first", "002_second"]);
    expect((await up(s, newer)).ran).toEqual(["001_first", "002_second"]);
    expect((await up(s, newer)).ran).toEqual([]);
    expect(
      await value(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'gatestack_extra_a'",
        s.database,
      ),
    ).toBe("2");
  });

  it("up on a database never bootstrapped refuses and says to bootstrap", async () => {
    const s = await emptyDatabase();
    await expect(up(s)).rejects.toMatchObject({
      code: "E_MIGRATIONS",
      hint: expect.stringContaining("stack gateway migrations bootstrap"),
    });
  });

  it("a failing migration is rolled back whole and stays pending", async () => {
    const s = await emptyDatabase();
    await bootstrap(s);
    const broken: Migration = {
      name: "001_broken",
      statements: [
        "CREATE TABLE gatestack_half (x int)",
        "ALTER TABLE gatestack_no_such_table ADD COLUMN y int",
      ],
    };
    await expect(up(s, [...MIGRATIONS, broken])).rejects.toMatchObject({
      code: "E_MIGRATIONS",
      message: expect.stringContaining("migration 001_broken failed"),
    });
    expect((await migrationsStatus(s, [...MIGRATIONS, broken])).pending).toEqual(["001_broken"]);
    expect(await value("SELECT to_regclass('gatestack_half') IS NULL", s.database)).toBe("t");
  });

  it("two nodes bootstrapping at once: the advisory lock lets one migrate, the other finds it done", async () => {
    const s = await emptyDatabase();
    const results = await Promise.all([bootstrap(s), bootstrap(s), bootstrap(s)]);
    expect(results.filter((r) => !r.alreadyBootstrapped)).toHaveLength(1);
    expect(results.filter((r) => r.alreadyBootstrapped)).toHaveLength(2);
    expect(await value(`SELECT count(*) FROM ${META_TABLE}`, s.database)).toBe(String(ALL.length));
  });

  it("bootstrap waits while another session holds the migrations lock", async () => {
    const s = await emptyDatabase();
    const holder = new pg.Client({ ...s, password: s.password });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock($1)", [MIGRATIONS_LOCK]);
      let done = false;
      const running = bootstrap(s).then((r) => {
        done = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 700));
      expect(done).toBe(false);
      expect((await migrationsStatus(s)).bootstrapped).toBe(false);
      await holder.query("SELECT pg_advisory_unlock($1)", [MIGRATIONS_LOCK]);
      expect((await running).ran).toEqual(ALL);
    } finally {
      await holder.end();
    }
  });
});

describe("stack gateway migrations and serve (the CLI)", () => {
  it("status exits 3 on an empty database, bootstrap makes it ready, status --json reports it", async () => {
    const s = await emptyDatabase();
    const before = await cli(s, "migrations", "status");
    expect(before.exitCode).toBe(3);
    expect(before.stdout).toContain("not bootstrapped");
    expect(`${before.stdout}\n${before.stderr}`).toContain("stack gateway migrations bootstrap");

    const boot = await cli(s, "migrations", "bootstrap");
    expect(boot.exitCode).toBe(0);
    expect(boot.stdout).toContain(`bootstrapped ${s.user}@${s.host}:${s.port}/${s.database}`);
    const again = await cli(s, "migrations", "bootstrap");
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("already bootstrapped");

    const status = await cli(s, "migrations", "status", "--json");
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      action: "status",
      status: { bootstrapped: true, executed: ALL, pending: [] },
    });
    for (const r of [before, boot, again, status])
      expect(`${r.stdout}${r.stderr}`).not.toContain(s.password!);
  });

  it("up before bootstrap fails non-zero with the hint", async () => {
    const s = await emptyDatabase();
    const r = await cli(s, "migrations", "up");
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain("not bootstrapped");
    expect(r.stderr).toContain("stack gateway migrations bootstrap");
  });

  it("serve refuses a database never bootstrapped, and one with pending migrations, naming the command", async () => {
    const s = await emptyDatabase();
    const serve = () =>
      cli(
        s,
        "serve",
        "--database",
        "postgres",
        "--proxy-listen",
        "127.0.0.1:0",
        "--admin-listen",
        "off",
        "--status-listen",
        "off",
        "--gui-listen",
        "off",
      );
    const fresh = await serve();
    expect(fresh.exitCode).not.toBe(0);
    expect(fresh.stderr).toContain("has not been bootstrapped");
    expect(fresh.stderr).toContain("stack gateway migrations bootstrap");

    await bootstrap(s, []); // the meta table only: every migration pending
    const behind = await serve();
    expect(behind.exitCode).not.toBe(0);
    expect(behind.stderr).toContain(`pending migration(s): ${ALL.join(", ")}`);
    expect(behind.stderr).toContain("stack gateway migrations up");

    expect((await cli(s, "migrations", "up")).exitCode).toBe(0);
    expect((await migrationsStatus(s)).pending).toEqual([]);
  });

  it("a database it cannot reach: non-zero, the place named, never the password", async () => {
    const s = { ...(await emptyDatabase()), password: "wrong-password-123" };
    const r = await cli(s, "migrations", "status");
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain("password authentication failed");
    expect(r.stderr).toContain(`${s.user}@${s.host}:${s.port}/${s.database}`);
    expect(r.stderr).not.toContain("wrong-password-123");
  });
});
