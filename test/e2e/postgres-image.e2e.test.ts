/**
 * The offline PostgreSQL stand-in (images/postgres, `build-offline.sh postgres`, tagged like the stack's
 * default `postgres:15`) behaves like the official image for what a stack uses: POSTGRES_PASSWORD,
 * POSTGRES_PASSWORD_FILE, POSTGRES_USER, POSTGRES_DB; initdb on first start only, the cluster kept on a
 * volume; scram-sha-256 over TCP from other hosts; `pg_isready` on PATH; postgres as PID 1, user
 * postgres; `docker stop` is a fast shutdown. Everything is reached the way a stack reaches it: a
 * published port and `docker exec`.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/runtime/labels.js";
import { DEFAULT_IMAGES } from "../../src/stack/images.js";
import { GATESTACK_VERSION } from "../../src/version.js";
import { purgeProject, uniqueProject } from "./support/docker.js";
import { eventually } from "./support/net.js";

const IMAGE = DEFAULT_IMAGES.postgres;
const project = uniqueProject("pg-image");
const labels = [
  "--label",
  `${LABEL.project}=${project}`,
  "--label",
  `${LABEL.createdBy}=${GATESTACK_VERSION}`,
];
const volume = `${project}-data`;
const name = (role: string) => `${project}-${role}`;
const secret = () => randomBytes(12).toString("base64url");

async function docker(args: string[]): Promise<string> {
  const r = await execa("docker", args, { reject: false });
  if (r.exitCode !== 0)
    throw new Error(`docker ${args.join(" ")} (exit ${r.exitCode}): ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

/** Starts the image detached, the container port published on a random 127.0.0.1 port. */
async function runPostgres(
  role: string,
  env: Record<string, string>,
  mounts: string[] = [],
): Promise<string> {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  const mountArgs = mounts.flatMap((m) => ["-v", m]);
  await docker([
    "run",
    "-d",
    "--name",
    name(role),
    ...labels,
    ...envArgs,
    ...mountArgs,
    "-p",
    "127.0.0.1::5432",
    IMAGE,
  ]);
  return name(role);
}

/** pg_isready inside the container (what a compose healthcheck runs) until it answers "accepting". */
async function waitReady(container: string, user: string, db: string): Promise<void> {
  await eventually(
    async () => {
      const r = await execa("docker", ["exec", container, "pg_isready", "-U", user, "-d", db], {
        reject: false,
      });
      return r.exitCode === 0;
    },
    60_000,
    300,
  );
}

/** The host port Docker published 5432 on (a restart may pick another one). */
async function hostPort(container: string): Promise<number> {
  const out = await docker(["port", container, "5432/tcp"]);
  const port = Number(out.split("\n")[0]?.split(":").pop());
  expect(port).toBeGreaterThan(0);
  return port;
}

async function connect(
  container: string,
  user: string,
  password: string,
  database: string,
): Promise<pg.Client> {
  const client = new pg.Client({
    host: "127.0.0.1",
    port: await hostPort(container),
    user,
    password,
    database,
    connectionTimeoutMillis: 10_000,
  });
  // the server going away (the stop test) must not become an unhandled 'error' event
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

async function query<T>(
  container: string,
  user: string,
  password: string,
  db: string,
  sql: string,
): Promise<T[]> {
  const client = await connect(container, user, password, db);
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

const inContainer = (container: string, script: string) => docker(["exec", container, "sh", "-c", script]);

let secretsDir: string;

beforeAll(async () => {
  secretsDir = await mkdtemp(path.join(tmpdir(), "gatestack-pg-secret-"));
  await chmod(secretsDir, 0o755); // the entrypoint reads the secret as postgres, like the official one
});

afterAll(async () => {
  await purgeProject(project);
  await execa("docker", ["volume", "rm", "-f", volume], { reject: false });
  await rm(secretsDir, { recursive: true, force: true });
});

describe(`the ${IMAGE} stand-in`, () => {
  const user = "kong";
  const password = secret();
  let main = "";

  it("is tagged with the major version it contains", async () => {
    const tagMajor = IMAGE.split(":").pop()?.split(/[.-]/)[0];
    expect(tagMajor).toMatch(/^\d+$/);
    const version = await docker(["run", "--rm", ...labels, IMAGE, "postgres", "--version"]);
    expect(version).toMatch(new RegExp(`^postgres \\(PostgreSQL\\) ${tagMajor}\\.\\d+`));
  });

  it("initializes the cluster on first start: POSTGRES_USER as superuser, POSTGRES_DB defaulting to it", async () => {
    main = await runPostgres("main", { POSTGRES_PASSWORD: password, POSTGRES_USER: user }, [
      `${volume}:/var/lib/postgresql/data`,
    ]);
    await waitReady(main, user, user);
    const [row] = await query<{ who: string; db: string; version: string; listen: string; super: boolean }>(
      main,
      user,
      password,
      user,
      "SELECT current_user AS who, current_database() AS db, version() AS version, " +
        "current_setting('listen_addresses') AS listen, " +
        "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS super",
    );
    expect(row).toMatchObject({ who: user, db: user, listen: "*", super: true });
    expect(row?.version).toMatch(/^PostgreSQL 15\.\d+/);
    expect(await inContainer(main, "command -v pg_isready")).toMatch(/\/pg_isready$/);
  });

  it("asks other hosts for the password with scram-sha-256, and refuses a wrong one", async () => {
    const rules = await query<{ type: string; address: string | null; auth_method: string }>(
      main,
      user,
      password,
      user,
      "SELECT type, address, auth_method FROM pg_hba_file_rules WHERE type = 'host'",
    );
    expect(rules).toContainEqual({ type: "host", address: "all", auth_method: "scram-sha-256" });
    expect(rules.map((r) => r.auth_method)).not.toContain("trust");
    const [stored] = await query<{ scram: boolean }>(
      main,
      user,
      password,
      user,
      `SELECT rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = '${user}'`,
    );
    expect(stored?.scram).toBe(true);
    await expect(connect(main, user, `${password}-wrong`, user)).rejects.toThrow(
      /password authentication failed for user "kong"/,
    );
    await expect(connect(main, "postgres", password, user)).rejects.toThrow(/password authentication failed/);
  });

  it("runs postgres itself as PID 1, as the postgres user, owning the data directory", async () => {
    expect(await inContainer(main, "cat /proc/1/comm")).toBe("postgres");
    expect(await inContainer(main, "awk '/^Uid:/ {print $2}' /proc/1/status")).toBe("999");
    expect(await inContainer(main, "id -un 999")).toBe("postgres");
    expect(await inContainer(main, "stat -c '%U %a' /var/lib/postgresql/data")).toBe("postgres 700");
  });

  it("keeps the data on the volume across a restart, and never initializes again", async () => {
    const client = await connect(main, user, password, user);
    try {
      await client.query("CREATE TABLE survivors (name text PRIMARY KEY)");
      await client.query("INSERT INTO survivors VALUES ('before restart')");
    } finally {
      await client.end();
    }
    await docker(["restart", main]);
    await waitReady(main, user, user);
    expect(await query(main, user, password, user, "SELECT name FROM survivors")).toEqual([
      { name: "before restart" },
    ]);

    // A new container on the same volume with another password: the cluster (and its password) stay.
    await docker(["rm", "-f", main]);
    main = await runPostgres("main2", { POSTGRES_PASSWORD: secret(), POSTGRES_USER: user }, [
      `${volume}:/var/lib/postgresql/data`,
    ]);
    await waitReady(main, user, user);
    expect(await query(main, user, password, user, "SELECT name FROM survivors")).toEqual([
      { name: "before restart" },
    ]);
    const logs = await execa("docker", ["logs", main], { all: true });
    expect(logs.all).toMatch(/skipping initialization/);
    expect(logs.all).not.toMatch(/initializing a PostgreSQL/);
  });

  it("stops fast on `docker stop`, even with a client still connected", async () => {
    const client = await connect(main, user, password, user);
    await client.query("BEGIN");
    await client.query("INSERT INTO survivors VALUES ('uncommitted')");
    const started = Date.now();
    await docker(["stop", "-t", "30", main]);
    const tookMs = Date.now() - started;
    await client.end().catch(() => undefined);
    expect(tookMs).toBeLessThan(5_000);
    expect(await docker(["inspect", "-f", "{{.State.ExitCode}}", main])).toBe("0");
    const logs = await execa("docker", ["logs", main], { all: true });
    expect(logs.all).toMatch(/received fast shutdown request/);
    expect(logs.all).toMatch(/database system is shut down/);
  });

  it("reads the password from POSTGRES_PASSWORD_FILE; user and database default to postgres", async () => {
    const filePassword = secret();
    await writeFile(path.join(secretsDir, "pg_password"), `${filePassword}\n`, { mode: 0o644 });
    const c = await runPostgres("file", { POSTGRES_PASSWORD_FILE: "/run/secrets/pg_password" }, [
      `${path.join(secretsDir, "pg_password")}:/run/secrets/pg_password:ro`,
    ]);
    await waitReady(c, "postgres", "postgres");
    const [row] = await query<{ who: string; db: string }>(
      c,
      "postgres",
      filePassword,
      "postgres",
      "SELECT current_user AS who, current_database() AS db",
    );
    expect(row).toEqual({ who: "postgres", db: "postgres" });
    await expect(connect(c, "postgres", `${filePassword}\n`, "postgres")).rejects.toThrow(
      /password authentication failed/,
    );
  });

  it("refuses to initialize a cluster without a password", async () => {
    const r = await execa("docker", ["run", "--name", name("nopass"), ...labels, IMAGE], {
      reject: false,
      timeout: 60_000,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/no superuser password is set/);
    expect(r.stderr).toMatch(/POSTGRES_PASSWORD/);
  });
});
