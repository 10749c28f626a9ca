/**
 * `stack gateway migrations bootstrap|up|status` (Kong's `kong migrations …`): the schema's
 * migrations applied in order, each once, recorded in a meta table. Bootstrap and up run under a
 * PostgreSQL advisory lock, so two nodes started together cannot migrate at once: the second waits,
 * then finds nothing left to do.
 */
import { MigrationsError } from "../../errors.js";
import { newClient, type PgClient, unreachable } from "./connection.js";
import { META_TABLE, MIGRATIONS, type Migration } from "./schema.js";
import { describePostgres, type PostgresSettings } from "./settings.js";

/** The advisory lock key of migrations (any constant both nodes agree on). */
const MIGRATIONS_LOCK = 0x6761_7465; // "gate"
const LOCK_WAIT_MS = 60_000;

export interface MigrationsStatus {
  database: string;
  bootstrapped: boolean;
  executed: string[];
  pending: string[];
}

async function connect(s: PostgresSettings): Promise<PgClient> {
  const client = newClient(s);
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw unreachable(s, err);
  }
  return client;
}

async function executed(client: PgClient): Promise<string[] | null> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [META_TABLE]);
  if (exists.rows[0]?.t === null || exists.rows[0]?.t === undefined) return null;
  const r = await client.query<{ migration: string }>(
    `SELECT migration FROM ${META_TABLE} ORDER BY migration`,
  );
  return r.rows.map((row) => row.migration);
}

function statusOf(s: PostgresSettings, done: string[] | null, list: readonly Migration[]): MigrationsStatus {
  const ran = new Set(done ?? []);
  return {
    database: describePostgres(s),
    bootstrapped: done !== null,
    executed: list.filter((m) => ran.has(m.name)).map((m) => m.name),
    pending: list.filter((m) => !ran.has(m.name)).map((m) => m.name),
  };
}

export async function migrationsStatus(
  s: PostgresSettings,
  list: readonly Migration[] = MIGRATIONS,
): Promise<MigrationsStatus> {
  const client = await connect(s);
  try {
    return statusOf(s, await executed(client), list);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function withLock<T>(client: PgClient, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const r = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [MIGRATIONS_LOCK]);
    if (r.rows[0]?.ok) break;
    if (Date.now() >= deadline) {
      throw new MigrationsError("another node has been running migrations for over a minute", {
        hint: "wait for it to finish, then run the command again",
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    return await fn();
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATIONS_LOCK]).catch(() => undefined);
  }
}

async function run(client: PgClient, m: Migration): Promise<void> {
  await client.query("BEGIN");
  try {
    for (const statement of m.statements) await client.query(statement);
    await client.query(`INSERT INTO ${META_TABLE} (migration) VALUES ($1)`, [m.name]);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw new MigrationsError(`migration ${m.name} failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * `bootstrap`: a fresh database gets the meta table and every migration. On a bootstrapped one it
 * changes nothing and says to run `migrations up` (as Kong does).
 */
export async function bootstrap(
  s: PostgresSettings,
  list: readonly Migration[] = MIGRATIONS,
): Promise<{ status: MigrationsStatus; ran: string[]; alreadyBootstrapped: boolean }> {
  const client = await connect(s);
  try {
    return await withLock(client, async () => {
      if ((await executed(client)) !== null) {
        return { status: statusOf(s, await executed(client), list), ran: [], alreadyBootstrapped: true };
      }
      await client.query(
        `CREATE TABLE ${META_TABLE} (migration text PRIMARY KEY, executed_at timestamptz NOT NULL DEFAULT now())`,
      );
      const ran: string[] = [];
      for (const m of list) {
        await run(client, m);
        ran.push(m.name);
      }
      return { status: statusOf(s, await executed(client), list), ran, alreadyBootstrapped: false };
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `up`: the pending migrations of a bootstrapped database. */
export async function up(
  s: PostgresSettings,
  list: readonly Migration[] = MIGRATIONS,
): Promise<{ status: MigrationsStatus; ran: string[] }> {
  const client = await connect(s);
  try {
    return await withLock(client, async () => {
      const done = await executed(client);
      if (done === null) {
        throw new MigrationsError(`the database ${describePostgres(s)} is not bootstrapped`, {
          hint: "run `stack gateway migrations bootstrap`",
        });
      }
      const ran: string[] = [];
      for (const m of list) {
        if (done.includes(m.name)) continue;
        await run(client, m);
        ran.push(m.name);
      }
      return { status: statusOf(s, await executed(client), list), ran };
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** What `serve` says when the schema is not the one it needs. */
export function notReadyError(status: MigrationsStatus): MigrationsError | null {
  if (!status.bootstrapped) {
    return new MigrationsError(`the database ${status.database} has not been bootstrapped`, {
      hint: "run `stack gateway migrations bootstrap` (same settings), then start the gateway again",
    });
  }
  if (status.pending.length > 0) {
    return new MigrationsError(
      `the database ${status.database} has ${status.pending.length} pending migration(s): ${status.pending.join(", ")}`,
      { hint: "run `stack gateway migrations up` (same settings), then start the gateway again" },
    );
  }
  return null;
}
