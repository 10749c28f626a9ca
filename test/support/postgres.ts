/**
 * A real PostgreSQL for tests (Debian's `postgresql`): a throwaway cluster made with `initdb` in a
 * temporary directory owned by the unprivileged `postgres` user (PostgreSQL refuses to run as root),
 * started with `pg_ctl` on 127.0.0.1 and a free random port, password authentication (scram) for
 * the `kong` role. Stopped, killed (an outage) and started again on the same port by the test
 * that owns it; removed for good by `destroy()`.
 */
import { execFile } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./processes.js";

const run = promisify(execFile);

/** Where Debian puts the server binaries of the one installed major. */
export const PG_BIN = "/usr/lib/postgresql/15/bin";

export interface TestPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** the database created with the cluster (owned by `user`) */
  database: string;
  /** KONG_PG_* for a gateway process */
  env(database?: string): Record<string, string>;
  /** A fresh empty database owned by `user`; returns its name. */
  createDatabase(name?: string): Promise<string>;
  /** Run SQL through psql as the owner; returns stdout (tuples only, unaligned). */
  sql(statement: string, database?: string): Promise<string>;
  /** Fast shutdown (clients disconnected). */
  stop(): Promise<void>;
  /** Immediate shutdown (like a crash); `start()` brings it back on the same port. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Stop and remove the cluster. Safe to call twice. */
  destroy(): Promise<void>;
}

const SERVER_USER = "postgres";

function serverIds(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  // the Debian package creates the system user; its ids are stable on one machine
  const passwd = readFileSync("/etc/passwd", "utf8").split("\n");
  const entry = passwd.find((line) => line.startsWith(`${SERVER_USER}:`));
  if (!entry) throw new Error("test PostgreSQL: no `postgres` system user (apt-get install postgresql)");
  const [, , uid, gid] = entry.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

let counter = 0;

export async function startTestPostgres(): Promise<TestPostgres> {
  if (!existsSync(join(PG_BIN, "initdb")))
    throw new Error(`test PostgreSQL: ${PG_BIN}/initdb not found (apt-get install postgresql)`);
  const ids = serverIds();
  const root = mkdtempSync(join(tmpdir(), "gatestack-pg-"));
  const data = join(root, "data");
  const user = "kong";
  const password = `pw-${process.pid}-${Date.now().toString(36)}`;
  const pwfile = join(root, "pwfile");
  writeFileSync(pwfile, `${password}\n`);
  if (ids) {
    chmodSync(root, 0o700);
    chownSync(root, ids.uid, ids.gid);
    chownSync(pwfile, ids.uid, ids.gid);
  }
  const as = ids ? { uid: ids.uid, gid: ids.gid } : {};
  await run(
    join(PG_BIN, "initdb"),
    [
      "-D",
      data,
      "-U",
      user,
      `--pwfile=${pwfile}`,
      "--auth=scram-sha-256",
      "-E",
      "UTF8",
      "--locale=C.UTF-8",
      "--no-sync",
    ],
    { ...as, env: { ...process.env, LC_ALL: "C.UTF-8" } },
  );
  rmSync(pwfile, { force: true });
  let port = 0;
  let running = false;

  const pgCtl = (args: string[]) =>
    run(join(PG_BIN, "pg_ctl"), ["-D", data, ...args], { ...as, timeout: 30_000 });

  const start = async (): Promise<void> => {
    // sockets only in the cluster's own directory; fsync off: throwaway data (a server crash, kill(), loses
    // nothing committed: the WAL is written at commit, only never flushed to disk)
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${root} -c fsync=off -c full_page_writes=off -c max_connections=200`;
    await pgCtl(["-w", "-t", "20", "-l", join(root, "server.log"), "-o", opts, "start"]);
    running = true;
  };

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort();
    try {
      await start();
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err;
    }
  }
  if (lastError) {
    rmSync(root, { recursive: true, force: true });
    throw lastError;
  }

  const psql = async (statement: string, database: string): Promise<string> => {
    const { stdout } = await run(
      "/usr/bin/psql",
      [
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "-U",
        user,
        "-d",
        database,
        "-v",
        "ON_ERROR_STOP=1",
        "-tA",
        "-c",
        statement,
      ],
      { env: { ...process.env, PGPASSWORD: password } },
    );
    return stdout;
  };

  const shutdown = async (mode: "fast" | "immediate"): Promise<void> => {
    if (!running) return;
    running = false;
    await pgCtl(["-w", "-t", "20", "-m", mode, "stop"]).catch(() => undefined);
  };

  const database = "kong";
  await psql(`CREATE DATABASE ${database}`, "postgres");

  return {
    host: "127.0.0.1",
    port,
    user,
    password,
    database,
    env: (db = database) => ({
      KONG_PG_HOST: "127.0.0.1",
      KONG_PG_PORT: String(port),
      KONG_PG_USER: user,
      KONG_PG_PASSWORD: password,
      KONG_PG_DATABASE: db,
    }),
    createDatabase: async (name) => {
      const db = name ?? `t_${process.pid}_${++counter}_${Date.now().toString(36)}`;
      await psql(`CREATE DATABASE "${db}"`, "postgres");
      return db;
    },
    sql: (statement, db = database) => psql(statement, db),
    stop: () => shutdown("fast"),
    kill: () => shutdown("immediate"),
    start,
    destroy: async () => {
      await shutdown("immediate");
      rmSync(root, { recursive: true, force: true });
    },
  };
}
