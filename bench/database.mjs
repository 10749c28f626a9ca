/**
 * Database mode (issue 11), two gateway processes (`stack gateway serve --database postgres`) on one
 * PostgreSQL 15 cluster created for the run (Debian's initdb/pg_ctl, default durability: fsync on):
 *   (a) propagation: a route written through replica A's Admin API, the time until replica B's proxy
 *       routes it — median, p95 and worst of 100 writes (target < 1 s; Kong polls every 5 s);
 *   (b) the write round trip (POST of one route, answered once A serves it) on an empty database and on
 *       one holding 10,000 routes, and propagation at 10,000 routes;
 *   (c) POST /config of a 10,000-route configuration in database mode, beside the same POST to a
 *       DB-less gateway in the same run (the ratio is the number to compare).
 *
 *   npm run build && node bench/database.mjs [--writes 100]
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, nodeChild, opt, ROOT, UPSTREAM_SOURCE } from "./support.mjs";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const WRITES = Number(opt("writes", "100"));
const ROUTES = 10_000;

if (!existsSync(join(ROOT, "dist", "gateway", "server.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(1);
}
if (!existsSync(join(PG_BIN, "initdb"))) {
  console.error(`${PG_BIN}/initdb is missing (apt-get install postgresql-15)`);
  process.exit(1);
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** A cluster owned by the `postgres` system user when run as root (initdb refuses root). */
async function startCluster(root) {
  const passwd = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = passwd ? passwd.split(":") : [];
  const as = process.getuid?.() === 0 && uid ? { uid: Number(uid), gid: Number(gid) } : {};
  const password = `bench-${Date.now().toString(36)}`;
  writeFileSync(join(root, "pw"), `${password}\n`);
  if (as.uid !== undefined) {
    chmodSync(root, 0o700);
    chownSync(root, as.uid, as.gid);
    chownSync(join(root, "pw"), as.uid, as.gid);
  }
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { ...as, encoding: "utf8", env: { ...process.env, LC_ALL: "C.UTF-8" } });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  };
  const data = join(root, "data");
  run(join(PG_BIN, "initdb"), [
    "-D",
    data,
    "-U",
    "kong",
    `--pwfile=${join(root, "pw")}`,
    "--auth=scram-sha-256",
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
  ]);
  const port = await freePort();
  run(join(PG_BIN, "pg_ctl"), [
    "-D",
    data,
    "-w",
    "-l",
    join(root, "log"),
    "-o",
    `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${root}`,
    "start",
  ]);
  return {
    settings: {
      host: "127.0.0.1",
      port,
      user: "kong",
      password,
      database: "postgres",
      ssl: false,
      sslVerify: false,
      timeoutMs: 5000,
    },
    stop: () => run(join(PG_BIN, "pg_ctl"), ["-D", data, "-m", "fast", "stop"]),
  };
}

/** `stack gateway serve` as a process; resolves with its listeners once it logged "gateway started". */
function serve(args, env) {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "bin", "run.js"),
      "gateway",
      "serve",
      ...args,
      "--proxy-listen",
      "127.0.0.1:0",
      "--admin-listen",
      "127.0.0.1:0",
      "--status-listen",
      "off",
      "--gui-listen",
      "off",
    ].filter(Boolean),
    {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stderr.on("data", (d) => {
      buf += d;
      for (const line of buf.split("\n")) {
        try {
          const msg = JSON.parse(line);
          if (msg.msg === "gateway started") resolve({ child, proxy: msg.proxy, admin: msg.admin });
        } catch {}
      }
    });
    child.once("exit", (code) => reject(new Error(`gateway exited ${code}: ${buf}`)));
  });
}

const post = async (base, path, body) => {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}`);
};

/** ms from `t0` until `url` answers 200 (polled every 2 ms). */
async function servedAfter(url, t0) {
  for (;;) {
    const res = await fetch(url).catch(() => null);
    if (res) await res.arrayBuffer();
    if (res?.status === 200) return performance.now() - t0;
    if (performance.now() - t0 > 10_000) throw new Error(`${url} not served within 10 s`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** `count` route writes through A, each timed: A's round trip and until B routes it. */
async function writeRoutes(a, b, service, prefix, count) {
  const roundTrips = [];
  const propagation = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await post(a.admin, `/services/${service}/routes`, { name: `${prefix}${i}`, paths: [`/${prefix}${i}`] });
    roundTrips.push(performance.now() - t0);
    propagation.push(await servedAfter(`${b.proxy}/${prefix}${i}`, t0));
  }
  return { roundTrips, propagation };
}

function bigDoc(n, port) {
  const services = [];
  for (let s = 0; s < n / 10; s++) {
    const routes = [];
    for (let r = 0; r < 10; r++) routes.push({ name: `big${s * 10 + r}`, paths: [`/svc${s}/r${r}`] });
    services.push({ name: `big${s}`, url: `http://127.0.0.1:${port}`, routes });
  }
  services.push({ name: "bench", url: `http://127.0.0.1:${port}` });
  return { _format_version: "3.0", services };
}

const pct = (xs, p) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const f = (x) => x.toFixed(1);

const work = mkdtempSync(join(tmpdir(), "bench-db-"));
const children = [];
let cluster = null;
try {
  cluster = await startCluster(work);
  const { bootstrap } = await import(join(ROOT, "dist", "gateway", "store", "postgres", "migrations.js"));
  await bootstrap(cluster.settings);
  const upstream = await nodeChild("upstream", UPSTREAM_SOURCE, 1);
  children.push(upstream.child);
  const upstreamUrl = `http://127.0.0.1:${upstream.info.port}`;
  const s = cluster.settings;
  const env = {
    KONG_PG_HOST: s.host,
    KONG_PG_PORT: String(s.port),
    KONG_PG_USER: s.user,
    KONG_PG_PASSWORD: s.password,
    KONG_PG_DATABASE: s.database,
  };
  const [a, b] = await Promise.all([
    serve(["--database", "postgres"], env),
    serve(["--database", "postgres"], env),
  ]);
  children.push(a.child, b.child);

  // (a) + (b) on an empty database
  await post(a.admin, "/services", { name: "bench", url: upstreamUrl });
  const empty = await writeRoutes(a, b, "bench", "p", WRITES);

  // (c) POST /config of 10,000 routes: database mode, then a DB-less gateway, alternating
  const doc = JSON.stringify(bigDoc(ROUTES, upstream.info.port));
  const dbless = await serve([], {});
  children.push(dbless.child);
  const applies = { database: [], dbless: [] };
  for (let i = 0; i < 3; i++) {
    for (const [name, gw] of [
      ["database", a],
      ["dbless", dbless],
    ]) {
      const t0 = performance.now();
      await post(gw.admin, "/config", doc);
      applies[name].push(performance.now() - t0);
    }
  }
  const propagated10k = await servedAfter(`${b.proxy}/svc999/r9`, performance.now());

  // (b) at 10,000 routes
  const big = await writeRoutes(a, b, "bench", "q", Math.min(WRITES, 30));

  const rows = [
    ["propagation A → B, empty database", empty.propagation],
    ["write round trip, empty database", empty.roundTrips],
    [`propagation A → B, ${ROUTES.toLocaleString("en")} routes`, big.propagation],
    [`write round trip, ${ROUTES.toLocaleString("en")} routes`, big.roundTrips],
  ];
  console.log(`\n| measure (ms)                              | writes | median |    p95 |  worst |`);
  console.log(`| ----------------------------------------- | -----: | -----: | -----: | -----: |`);
  for (const [label, xs] of rows) {
    console.log(
      `| ${label.padEnd(41)} | ${String(xs.length).padStart(6)} | ${f(median(xs)).padStart(6)} | ${f(pct(xs, 0.95)).padStart(6)} | ${f(Math.max(...xs)).padStart(6)} |`,
    );
  }
  const dbMedian = median(applies.database);
  const dblessMedian = median(applies.dbless);
  console.log(
    `\nPOST /config, ${ROUTES.toLocaleString("en")} routes: database mode ${applies.database.map(f).join(" / ")} ms, DB-less ${applies.dbless.map(f).join(" / ")} ms; median ratio ${(dbMedian / dblessMedian).toFixed(2)}×`,
  );
  console.log(
    `the other replica served the 10,000-route state ${f(propagated10k)} ms after the last POST /config answered`,
  );
  const worst = Math.max(...empty.propagation, ...big.propagation);
  console.log(
    `\ntarget: every replica sees every change within 1 s — worst ${f(worst)} ms: ${worst < 1000 ? "pass" : "MISS"}`,
  );
  process.exitCode = worst < 1000 ? 0 : 1;
} finally {
  for (const c of children) c.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 500));
  try {
    cluster?.stop();
  } catch {}
  rmSync(work, { recursive: true, force: true });
}
