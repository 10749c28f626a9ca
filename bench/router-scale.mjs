#!/usr/bin/env node
/**
 * Gateway router at scale (issue 3, "Speed and size"):
 *   - match throughput with 10,000 routes vs 1 route, in-process, same run (target ≥ 0.9×);
 *     measured on unique paths (LRU cache defeated) and on repeated ones (cache hits);
 *     the linear reference router at 10,000 routes shows what the index saves;
 *   - parse + validate + router build of a 10,000-route configuration, JSON and YAML
 *     (POST /config must be applied in < 1 s overall, so this must be well under that);
 *   - RSS of a process holding the loaded 10,000-route configuration and its router,
 *     against the same process with a 1-route configuration (target < 100 MB).
 *
 *   npm run build && node --expose-gc bench/router-scale.mjs [--seconds S] [--json FILE]
 */
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { opt, ROOT as root } from "./support.mjs";

const seconds = Number(opt("seconds")) || 2;
const jsonOut = opt("json");

if (!existsSync(`${root}dist/gateway/config/load.js`)) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(1);
}

const { parseDeclarativeConfig } = await import(`${root}dist/gateway/config/load.js`);
const { buildRouter, buildLinearRouter } = await import(`${root}dist/gateway/router/index.js`);
const noPlugins = () => undefined;

/**
 * A realistic big configuration: 1,000 services × 10 routes. Most routes are plain path
 * prefixes; every 10th route also has a host, every 20th a method list, every 25th a
 * regex path, every 50th a header.
 */
export function bigDoc(routeCount) {
  const perService = 10;
  const services = [];
  for (let s = 0; s * perService < routeCount; s++) {
    const routes = [];
    for (let r = 0; r < perService && s * perService + r < routeCount; r++) {
      const i = s * perService + r;
      const route = { name: `route-${i}`, paths: [`/svc-${s}/resource-${r}`] };
      if (i % 10 === 3) route.hosts = [`tenant-${i % 97}.example.com`];
      if (i % 20 === 5) route.methods = ["GET", "POST"];
      if (i % 25 === 7) route.paths = [`~/svc-${s}/items-${r}/(?<id>\\d+)$`];
      if (i % 50 === 9) route.headers = { "x-version": ["v2"] };
      routes.push(route);
    }
    services.push({ name: `svc-${s}`, url: `http://backend-${s % 50}.internal:8080/api`, routes });
  }
  return { _format_version: "3.0", services };
}

/**
 * Requests that each hit an existing route. With `salt`, 20,000 different paths cycle (more
 * than the router's cache holds: every lookup misses); without, 1,000 paths repeat (every
 * lookup after the first round is a cache hit) — the same counts for both configurations.
 */
function requestsFor(routeCount, salt) {
  const reqs = [];
  const distinct = salt === undefined ? 1000 : 20_000;
  for (let k = 0; k < distinct; k++) {
    const i = (k * 7919) % routeCount;
    const s = Math.floor(i / 10);
    const r = i % 10;
    const unique = salt === undefined ? String(k) : `${salt}${k}`;
    let path = `/svc-${s}/resource-${r}/${unique}`;
    const headers = { host: "api.example.com" };
    if (routeCount > 1 && i % 25 === 7) path = `/svc-${s}/items-${r}/${unique}`;
    if (routeCount > 1 && i % 10 === 3) headers.host = `tenant-${i % 97}.example.com`;
    if (routeCount > 1 && i % 50 === 9) headers["x-version"] = "v2";
    reqs.push({ method: "GET", host: headers.host, path, headers, protocol: "http" });
  }
  return reqs;
}

let saltCounter = 1;

/** Paths never seen before by any router of this run. */
function uniqueRequests(routeCount) {
  return requestsFor(routeCount, String(saltCounter++ * 100000));
}

/**
 * Lookups per second of CPU time (process.cpuUsage), so that other load on a shared
 * machine does not skew the comparison; wall-clock rate reported alongside.
 */
function throughput(router, reqs) {
  for (let k = 0; k < 5000; k++) router.match(reqs[k % reqs.length]); // warm-up
  let n = 0;
  let misses = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < end) {
    for (let k = 0; k < 1000; k++) {
      if (router.match(reqs[(n + k) % reqs.length]) === null) misses++;
    }
    n += 1000;
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  if (misses > 0) throw new Error(`${misses} requests matched no route: the benchmark is wrong`);
  return { cpuRate: n / ((cpu.user + cpu.system) / 1e6), wallRate: n / wall };
}

/** Alternate the measured routers over `rounds` rounds; median rate of each. */
function compare(cases, rounds = 3) {
  const rates = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    cases.forEach(([router, reqsOf], i) => {
      rates[i].push(throughput(router, reqsOf()));
    });
  }
  return rates.map((rs) => ({
    cpuRate: median(rs.map((r) => r.cpuRate)),
    wallRate: median(rs.map((r) => r.wallRate)),
  }));
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median CPU and wall milliseconds of `fn` over `runs` runs (after one cold run, reported apart). */
function timeMs(fn, runs = 5) {
  const measure = () => {
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    const out = fn();
    const cpu = process.cpuUsage(c);
    return { out, wall: Number(process.hrtime.bigint() - t) / 1e6, cpu: (cpu.user + cpu.system) / 1000 };
  };
  const cold = measure();
  const warm = [];
  for (let i = 0; i < runs; i++) warm.push(measure());
  return {
    out: cold.out,
    coldCpuMs: cold.cpu,
    coldWallMs: cold.wall,
    cpuMs: median(warm.map((m) => m.cpu)),
    wallMs: median(warm.map((m) => m.wall)),
  };
}

function load(doc) {
  const r = parseDeclarativeConfig(doc, { plugins: noPlugins });
  if (!r.ok) throw new Error(r.error.message);
  return r.config;
}

// --- RSS in fresh processes -------------------------------------------------
if (opt("rss-child") !== undefined) {
  const count = Number(opt("rss-child"));
  const text = JSON.stringify(bigDoc(count));
  const parsed = parseDeclarativeConfig(text, { plugins: noPlugins });
  const router = buildRouter(parsed.config);
  router.match({ method: "GET", host: "a", path: "/svc-0/resource-0", headers: {}, protocol: "http" });
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 50));
  globalThis.gc?.();
  const mem = process.memoryUsage();
  process.stdout.write(
    JSON.stringify({ rss: mem.rss, heapUsed: mem.heapUsed, keep: parsed.ok && router !== null }),
  );
  process.exit(0);
}

function rssOf(count, nodeFlags = []) {
  const out = execFileSync(process.execPath, [
    "--expose-gc",
    ...nodeFlags,
    fileURLToPath(import.meta.url),
    "--rss-child",
    String(count),
  ]);
  return JSON.parse(out.toString());
}

// --- run ----------------------------------------------------------------------
const MB = 1024 * 1024;
const results = { machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version } };

// Parse timings first, while the loader code is cold as in a fresh gateway process.
const doc = bigDoc(10_000);
const jsonText = JSON.stringify(doc);
const yamlText = stringify(doc);
const parseJson = timeMs(() => parseDeclarativeConfig(jsonText, { plugins: noPlugins }));
const parseYaml = timeMs(() => parseDeclarativeConfig(yamlText, { plugins: noPlugins }), 3);
const build = timeMs(() => buildRouter(parseJson.out.config));
results.load = {
  routes: parseJson.out.config.routes.length,
  jsonBytes: jsonText.length,
  yamlBytes: yamlText.length,
  json: parseJson,
  yaml: parseYaml,
  buildRouter: build,
};
for (const k of ["json", "yaml", "buildRouter"]) delete results.load[k].out;

const small = load(bigDoc(1));
const large = load(bigDoc(10_000));
const r1 = buildRouter(small);
const r10k = buildRouter(large);
const linear10k = buildLinearRouter(large);

/** Unique paths that all hit the same route (like the 1-route case): the index cost alone. */
const hotRoute = () =>
  uniqueRequests(1).map((r) => ({ ...r, path: r.path.replace("/svc-0/resource-0/", "/svc-5/resource-1/") }));

const [same1, same10k] = compare([
  [r1, () => uniqueRequests(1)],
  [r10k, hotRoute],
]);
const [uniq1, uniq10k] = compare([
  [r1, () => uniqueRequests(1)],
  [r10k, () => uniqueRequests(10_000)],
]);
const [hit1, hit10k] = compare([
  [r1, () => requestsFor(1)],
  [r10k, () => requestsFor(10_000)],
]);
const [lin10k] = compare([[linear10k, () => uniqueRequests(10_000)]], 1);
results.match = {
  hotRouteUniquePaths: { routes1: same1, routes10k: same10k, ratio: same10k.cpuRate / same1.cpuRate },
  spreadUniquePaths: { routes1: uniq1, routes10k: uniq10k, ratio: uniq10k.cpuRate / uniq1.cpuRate },
  cachedPaths: { routes1: hit1, routes10k: hit10k, ratio: hit10k.cpuRate / hit1.cpuRate },
  linear10k: { ...lin10k, ratioToIndexed: lin10k.cpuRate / uniq10k.cpuRate },
};

const SMALL_YOUNG_GEN = ["--max-semi-space-size=1"];
const rss1 = rssOf(1);
const rss10k = rssOf(10_000);
const rss10kSmall = rssOf(10_000, SMALL_YOUNG_GEN);
results.rss = {
  routes1MB: rss1.rss / MB,
  routes10kMB: rss10k.rss / MB,
  deltaMB: (rss10k.rss - rss1.rss) / MB,
  heapUsed1MB: rss1.heapUsed / MB,
  heapUsed10kMB: rss10k.heapUsed / MB,
  routes10kSmallYoungGenMB: rss10kSmall.rss / MB,
};

const f = (n) => Math.round(n).toLocaleString("en-US");
const f2 = (n) => n.toFixed(2);
const row = (label, a, b) =>
  `| ${label.padEnd(36)} | ${a ? f(a.cpuRate).padStart(11) : "".padStart(11)} | ${f(b.cpuRate).padStart(13)} | ${a ? f2(b.cpuRate / a.cpuRate) : "—"} |`;
console.log(
  `Gateway router — ${results.machine.cpus} × ${results.machine.model}, Node ${results.machine.node}, ${seconds}s per measurement`,
);
console.log("");
console.log("| lookups per CPU-second (in-process)  | 1 route     | 10,000 routes | ratio |");
console.log("|--------------------------------------|-------------|---------------|-------|");
console.log(row("unique paths, one hot route", same1, same10k));
console.log(row("unique paths spread over all routes", uniq1, uniq10k));
console.log(row("repeated paths (cache hits)", hit1, hit10k));
console.log(row("linear reference router, spread", null, lin10k));
console.log(
  `(wall-clock rates: hot ${f(same1.wallRate)} / ${f(same10k.wallRate)}, spread ${f(uniq1.wallRate)} / ${f(uniq10k.wallRate)}, cached ${f(hit1.wallRate)} / ${f(hit10k.wallRate)}, linear ${f(lin10k.wallRate)})`,
);
console.log("");
const L = results.load;
console.log(
  `10,000-route config: JSON ${f(L.jsonBytes / 1024)} KiB, YAML ${f(L.yamlBytes / 1024)} KiB (CPU ms; wall in brackets)`,
);
console.log(
  `  parse+validate JSON: cold ${f(L.json.coldCpuMs)} [${f(L.json.coldWallMs)}], warm ${f(L.json.cpuMs)} [${f(L.json.wallMs)}]`,
);
console.log(
  `  parse+validate YAML: cold ${f(L.yaml.coldCpuMs)} [${f(L.yaml.coldWallMs)}], warm ${f(L.yaml.cpuMs)} [${f(L.yaml.wallMs)}]`,
);
console.log(
  `  router build:        cold ${f(L.buildRouter.coldCpuMs)} [${f(L.buildRouter.coldWallMs)}], warm ${f(L.buildRouter.cpuMs)} [${f(L.buildRouter.wallMs)}]`,
);
const R = results.rss;
console.log(
  `RSS: 1 route ${f2(R.routes1MB)} MB, 10,000 routes ${f2(R.routes10kMB)} MB (+${f2(R.deltaMB)} MB); heap used ${f2(R.heapUsed1MB)} → ${f2(R.heapUsed10kMB)} MB`,
);
console.log(
  `RSS at 10,000 routes with node ${SMALL_YOUNG_GEN.join(" ")}: ${f2(R.routes10kSmallYoungGenMB)} MB`,
);

if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(results, null, 2)}\n`);
