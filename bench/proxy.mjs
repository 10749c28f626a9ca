#!/usr/bin/env node
/**
 * Gateway proxy throughput and size (issue 3, "Speed and size"; issue 12 §4), one run, loopback, wrk:
 *   (a) a minimal hand-written undici proxy (baseline)       gateway ≥ 0.9× this
 *   (b) the gateway, no plugins, 1 route
 *   (c) @fastify/http-proxy                                   gateway ≥ 1.5× this
 *   (d) the gateway with 10,000 routes                                        ≥ 0.95× (b)
 *   (g) Caddy's reverse_proxy, GOMAXPROCS=1                  gateway ≥ 1.3× this
 *   (h) nginx proxy_pass, one worker                         (reported)
 *   (i) latency at a fixed rate (autocannon -R, coordinated omission corrected): p50/p99 of the
 *       gateway beside Caddy, nginx and the undici baseline
 * Every proxy gets the same request mix: paths /svcN/rM/item spread over 1,000 of the 10,000
 * routes (with 1 route they all match "/"), from one wrk Lua script.
 *   (e) POST /config of a 10,000-route configuration under load: applied < 1 s, zero failed requests
 *   (f) RSS of the gateway holding the 10,000-route configuration            < 100 MB
 *
 * Processes: the upstream (nginx answering itself, one process; `--upstream node` for the minimal
 * node server), the proxy under test, wrk (1 thread). On this 2-core
 * machine the proxy under test is pinned to CPU 0 and the upstream and wrk to CPU 1 (taskset),
 * so the proxy is the bottleneck and each proxy gets the same core. Rounds alternate the
 * proxies (order rotated and reversed each round) so drift affects all alike; totals are compared. The proxy's CPU time per request
 * (/proc) is reported too: it is the steadier measure when the machine is busy.
 *
 *   npm run build && node bench/proxy.mjs [--duration 2] [--rounds 12] [--connections 50] [--json FILE]
 *                                         [--node-options "--max-semi-space-size=2"] [--upstream nginx|node]
 *                                         [--rate 2000] [--latency-seconds 5] [--latency-rounds 3]
 *   BENCH_ACCESS_LOG=1: the gateway writes its access log (to /dev/null); BENCH_GUI=1: the gateway
 *   manager's listener is on (issue 15: the proxy must run as fast with it).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { HAVE_CADDY, HAVE_NGINX, startCaddyProxy, startNginxProxy, startNginxUpstream } from "./peers.mjs";
import {
  median,
  nodeChild,
  opt,
  PINNING,
  parseWrk,
  pinned,
  ROOT,
  requireBuildAndWrk,
  rssMb,
  UPSTREAM_SOURCE,
  WRK_PREFIX,
  wrkRun,
} from "./support.mjs";

const duration = Number(opt("duration", "2"));
const rounds = Number(opt("rounds", "12"));
const connections = Number(opt("connections", "50"));
const jsonOut = opt("json", undefined);
const upstreamKind = opt("upstream", HAVE_NGINX ? "nginx" : "node");
const rate = Number(opt("rate", "2000"));
const latencySeconds = Number(opt("latency-seconds", "5"));
const latencyRounds = Number(opt("latency-rounds", "3"));
const ROUTES = 10_000;
/**
 * V8 flags of every proxy process (baseline, fastify and gateway alike, so the comparison is
 * of the code, not of heap settings): by default what the image sets in NODE_OPTIONS.
 */
const NODE_FLAGS = opt("node-options", "--max-semi-space-size=2").split(/\s+/).filter(Boolean);

requireBuildAndWrk();

/** (a) the baseline: what anyone would write in 15 lines with undici. */
const undiciSource = (port) => `
import { createServer } from "node:http";
import { Pool } from "undici";
const pool = new Pool("http://127.0.0.1:${port}", { connections: 256, pipelining: 1 });
const server = createServer((req, res) => {
  const hasBody = req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
  const { connection, "keep-alive": _ka, ...headers } = req.headers;
  pool.request({ method: req.method, path: req.url, headers, body: hasBody ? req : null }).then(
    ({ statusCode, headers: h, body }) => {
      delete h.connection;
      delete h["keep-alive"];
      res.writeHead(statusCode, h);
      body.pipe(res);
    },
    () => {
      res.statusCode = 502;
      res.end();
    },
  );
});
server.keepAliveTimeout = 65000;
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ url: "http://127.0.0.1:" + server.address().port })));
`;

/** (c) @fastify/http-proxy with its defaults (undici under the hood). */
const fastifySource = (port) => `
import Fastify from "fastify";
import proxy from "@fastify/http-proxy";
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: "http://127.0.0.1:${port}", prefix: "/" });
await app.listen({ host: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ url: "http://127.0.0.1:" + app.server.address().port }));
`;

/** A configuration with `n` routes over n/10 services, all to the upstream. */
function bigDoc(n, port, salt = "") {
  const services = [];
  for (let s = 0; s < Math.max(1, n / 10); s++) {
    const routes = [];
    for (let r = 0; r < Math.min(10, n); r++) {
      const i = s * 10 + r;
      routes.push({ name: `r${i}${salt}`, paths: [`/svc${s}/r${r}`] });
    }
    services.push({ name: `s${s}${salt}`, url: `http://127.0.0.1:${port}`, routes });
  }
  return { _format_version: "3.0", services };
}

const gatewaySource = (configFile) => `
import { readFileSync } from "node:fs";
import { startGateway } from "./dist/gateway/server.js";
const gw = await startGateway({
  config: { text: readFileSync(${JSON.stringify(configFile)}, "utf8") },
  proxyListen: { host: "127.0.0.1", port: 0 },
  adminListen: { host: "127.0.0.1", port: 0 },
  statusListen: null,
  // BENCH_GUI=1: the gateway manager's listener on (each finished request feeds its overview window)
  guiListen: process.env.BENCH_GUI === "1" ? { host: "127.0.0.1", port: 0 } : null,
  accessLog: process.env.BENCH_ACCESS_LOG === "1" ? (await import("node:fs")).createWriteStream("/dev/null") : false,
  heapCompaction: true, // as \`stack gateway serve\` runs it
  logger: { info() {}, warn() {}, error(m, f) { console.error(m, f ?? ""); } },
});
console.log(JSON.stringify({ url: gw.proxyUrl, adminUrl: gw.adminUrl }));
process.on("SIGTERM", () => gw.close().then(() => process.exit(0)));
`;

/** wrk against `url` (or a Lua script spreading paths), the proxy's CPU per request measured. */
function wrk(url, pid, { script, seconds = duration, conns = connections } = {}) {
  const wrkArgs = ["-t1", `-c${conns}`, `-d${seconds}s`, ...(script ? ["-s", script] : []), url];
  return wrkRun(WRK_PREFIX, wrkArgs, pid);
}
const round = (x, d = 3) => Number(x.toFixed(d));

/** autocannon at `perSecond` requests/s (open loop, latencies corrected for coordinated omission), on CPU 1. */
function fixedRate(url, perSecond, seconds) {
  const args = [
    "node_modules/autocannon/autocannon.js",
    "-j",
    "-c",
    String(connections),
    "-R",
    String(perSecond),
    "-d",
    String(seconds),
    url,
  ];
  const [cmd, rest] = pinned(1, process.execPath, args);
  const r = spawnSync(cmd, rest, { encoding: "utf8", cwd: ROOT });
  if (r.status !== 0) throw new Error(`autocannon failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop());
  return {
    p50: out.latency.p50,
    p99: out.latency.p99,
    rps: Math.round(out.requests.average),
    errors: out.errors + out.non2xx + out.timeouts,
  };
}

const work = mkdtempSync(join(tmpdir(), "bench-proxy-"));
const children = [];
try {
  const upstream =
    upstreamKind === "nginx" ? await startNginxUpstream(1) : await nodeChild("upstream", UPSTREAM_SOURCE, 1);
  children.push(upstream);
  const port = upstream.info.port;
  const oneRoute = join(work, "one.json");
  writeFileSync(
    oneRoute,
    JSON.stringify({
      _format_version: "3.0",
      services: [
        { name: "bench", url: `http://127.0.0.1:${port}`, routes: [{ name: "bench", paths: ["/"] }] },
      ],
    }),
  );
  const manyRoutes = join(work, "many.json");
  writeFileSync(manyRoutes, JSON.stringify(bigDoc(ROUTES, port)));
  // wrk script: requests spread over 1,000 of the 10,000 routes
  const spreadScript = join(work, "spread.lua");
  writeFileSync(
    spreadScript,
    `local i = 0
request = function()
  i = i + 1
  local s = (i * 7919) % ${ROUTES / 10}
  return wrk.format("GET", "/svc" .. s .. "/r" .. (i % 10) .. "/item")
end
`,
  );

  const proxies = [
    await nodeChild("undici-baseline", undiciSource(port), 0, NODE_FLAGS),
    await nodeChild("gateway", gatewaySource(oneRoute), 0, NODE_FLAGS),
    await nodeChild("fastify-http-proxy", fastifySource(port), 0, NODE_FLAGS),
    await nodeChild("gateway-10k-routes", gatewaySource(manyRoutes), 0, NODE_FLAGS),
    ...(HAVE_CADDY ? [await startCaddyProxy("caddy", port, 0)] : []),
    ...(HAVE_NGINX ? [await startNginxProxy("nginx", port, 0)] : []),
  ];
  children.push(...proxies);
  // every proxy gets the same request mix (the same wrk script, so the load generator costs the same);
  // with 1 route all paths match "/", with 10,000 routes they spread over 1,000 routes
  const scriptFor = () => spreadScript;
  const target = (p) => p.info.url;

  // warm-up: JIT, upstream connection pools
  for (const p of proxies) wrk(target(p), p.child.pid, { script: scriptFor(p), seconds: 2 });

  // Many short rounds, the order rotated and reversed from round to round, so that every proxy
  // meets the machine's slow and fast moments alike (on a shared VM the speed of a core drifts by
  // ±40 % over seconds). Throughput = all requests / all seconds; CPU = all CPU / all requests.
  const results = Object.fromEntries(
    proxies.map((p) => [p.name, { requests: 0, seconds: 0, cpuUs: 0, rps: [] }]),
  );
  for (let r = 0; r < rounds; r++) {
    const order = proxies.map((_, i) => proxies[(i + r) % proxies.length]);
    if (r % 2 === 1) order.reverse();
    for (const p of order) {
      const w = wrk(target(p), p.child.pid, { script: scriptFor(p) });
      if (w.non2xx > 0 || w.socketErrors)
        throw new Error(`${p.name}: ${w.non2xx} non-2xx, ${w.socketErrors}`);
      const acc = results[p.name];
      acc.requests += w.requests;
      acc.seconds += w.requests / w.rps;
      acc.cpuUs += w.cpuUsPerRequest * w.requests;
      acc.rps.push(w.rps);
      console.error(
        `round ${r + 1} ${p.name}: ${w.rps.toFixed(0)} req/s, ${w.cpuUsPerRequest.toFixed(1)} µs CPU/req, latency ${w.latency}`,
      );
    }
  }
  const rps = (name) => results[name].requests / results[name].seconds;
  const cpu = (name) => results[name].cpuUs / results[name].requests;
  /** the best round of each proxy: what it does when the machine leaves it alone */
  const bestRps = (name) => Math.max(...results[name].rps);
  /**
   * The median over rounds of a ratio taken within each round (its windows are seconds apart):
   * a slow moment of the machine that hits one proxy's window skews one round, not the median.
   */
  const medianRoundRatio = (a, b) => {
    const per = results[a].rps.map((x, i) => x / results[b].rps[i]).sort((x, y) => x - y);
    return per[Math.floor(per.length / 2)];
  };
  const has = (name) => proxies.some((p) => p.name === name);
  /** The comparisons the targets name, each as `measure(measured, reference)`. */
  const comparisons = (measure) => ({
    gateway_vs_undici: round(measure("gateway", "undici-baseline")),
    gateway_vs_fastify: round(measure("gateway", "fastify-http-proxy")),
    routes_10k_vs_1: round(measure("gateway-10k-routes", "gateway")),
    ...(has("caddy") ? { gateway_vs_caddy: round(measure("gateway", "caddy")) } : {}),
    ...(has("nginx") ? { gateway_vs_nginx: round(measure("gateway", "nginx")) } : {}),
  });
  const roundRatios = comparisons(medianRoundRatio);

  // (f) RSS at 10,000 routes after the throughput rounds (and again after the reloads below)
  const gw10k = proxies.find((p) => p.name === "gateway-10k-routes");
  const rss10k = rssMb(gw10k.child.pid);
  const rss1 = rssMb(proxies.find((p) => p.name === "gateway").child.pid);
  const rssBaseline = rssMb(proxies.find((p) => p.name === "undici-baseline").child.pid);

  // (e) POST /config of a 10,000-route config under load
  const alternate = [JSON.stringify(bigDoc(ROUTES, port, "-b")), readFileSync(manyRoutes, "utf8")];
  const loadSeconds = 12;
  const [wcmd, wargs] = pinned(1, "wrk", [
    "-t1",
    `-c${connections}`,
    `-d${loadSeconds}s`,
    "-s",
    spreadScript,
    gw10k.info.url,
  ]);
  const load = spawn(wcmd, wargs, { stdio: ["ignore", "pipe", "inherit"] });
  let loadOut = "";
  load.stdout.on("data", (d) => {
    loadOut += d;
  });
  const loadDone = new Promise((r) => load.once("exit", r));
  await new Promise((r) => setTimeout(r, 1500));
  const applies = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    const res = await fetch(`${gw10k.info.adminUrl}/config`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: alternate[i % 2],
    });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (res.status !== 201) throw new Error(`POST /config answered ${res.status}`);
    applies.push(ms);
    console.error(`POST /config (10,000 routes) under load: ${ms.toFixed(0)} ms`);
    await new Promise((r) => setTimeout(r, 800));
  }
  await loadDone;
  const { non2xx: loadNon2xx, socketErrors: loadErrors, requests: loadRequests } = parseWrk(loadOut);

  const rss10kReloaded = rssMb(gw10k.child.pid);

  // (i) latency at a fixed rate, each proxy in turn (order rotated per round), medians of the rounds
  const latencyOf = ["gateway", "caddy", "nginx", "undici-baseline"]
    .filter(has)
    .map((n) => proxies.find((p) => p.name === n));
  const latencies = Object.fromEntries(latencyOf.map((p) => [p.name, { p50: [], p99: [], errors: 0 }]));
  for (let r = 0; r < latencyRounds; r++) {
    for (let i = 0; i < latencyOf.length; i++) {
      const p = latencyOf[(i + r) % latencyOf.length];
      const l = fixedRate(p.info.url, rate, latencySeconds);
      latencies[p.name].p50.push(l.p50);
      latencies[p.name].p99.push(l.p99);
      latencies[p.name].errors += l.errors;
      console.error(`latency at ${rate} req/s, ${p.name}: p50 ${l.p50} ms, p99 ${l.p99} ms (${l.rps} req/s)`);
    }
  }

  const ratios = comparisons((a, b) => rps(a) / rps(b));
  const bestRoundRatios = comparisons((a, b) => bestRps(a) / bestRps(b));
  // CPU capacity: the inverse ratio of CPU time per request
  const cpuRatios = comparisons((a, b) => cpu(b) / cpu(a));
  const result = {
    setup: {
      duration_s: duration,
      rounds,
      connections,
      wrk_threads: 1,
      cpus: cpus().length,
      pinning: PINNING ? "proxy on CPU 0; upstream and wrk on CPU 1" : "none",
      upstream: upstreamKind,
      node: process.version,
      node_options: NODE_FLAGS.join(" "),
    },
    rps: Object.fromEntries(proxies.map((p) => [p.name, Math.round(rps(p.name))])),
    cpu_us_per_request: Object.fromEntries(proxies.map((p) => [p.name, round(cpu(p.name), 1)])),
    best_round_rps: Object.fromEntries(proxies.map((p) => [p.name, Math.round(bestRps(p.name))])),
    ratios,
    median_round_ratios: roundRatios,
    best_round_ratios: bestRoundRatios,
    cpu_capacity_ratios: cpuRatios,
    post_config_10k: {
      apply_ms: applies.map((x) => Math.round(x)),
      max_ms: Math.round(Math.max(...applies)),
      requests_during: loadRequests,
      failed: loadNon2xx,
      socket_errors: loadErrors || "none",
    },
    latency_at_fixed_rate: {
      rate_per_s: rate,
      seconds: latencySeconds,
      rounds: latencyRounds,
      ms: Object.fromEntries(
        Object.entries(latencies).map(([name, l]) => [
          name,
          { p50: median(l.p50), p99: median(l.p99), errors: l.errors },
        ]),
      ),
    },
    rss_mb: {
      undici_baseline: round(rssBaseline, 1),
      gateway_1_route: round(rss1, 1),
      gateway_10k_routes: round(rss10k, 1),
      gateway_10k_routes_after_6_reloads: round(rss10kReloaded, 1),
    },
    targets: {
      gateway_vs_undici: ">= 0.9",
      gateway_vs_fastify: ">= 1.5",
      routes_10k_vs_1: ">= 0.95",
      ...(has("caddy") ? { gateway_vs_caddy: ">= 1.3" } : {}),
      post_config_10k: "< 1000 ms, 0 failed",
      rss_10k: "< 100 MB",
    },
  };
  result.pass = {
    gateway_vs_undici: roundRatios.gateway_vs_undici >= 0.9,
    gateway_vs_fastify: roundRatios.gateway_vs_fastify >= 1.5,
    routes_10k_vs_1: roundRatios.routes_10k_vs_1 >= 0.95,
    ...(has("caddy") ? { gateway_vs_caddy: roundRatios.gateway_vs_caddy >= 1.3 } : {}),
    post_config_10k: Math.max(...applies) < 1000 && loadNon2xx === 0 && !loadErrors,
    rss_10k: rss10k < 100,
  };
  console.log(JSON.stringify(result, null, 2));
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = Object.values(result.pass).every(Boolean) ? 0 : 1;
} finally {
  for (const c of children) c.child.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}
