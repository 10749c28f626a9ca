#!/usr/bin/env node
/**
 * Gateway plugin overhead (issue 4): throughput of a route with key-auth + rate-limiting
 * (local policy, a limit high enough never to trigger) + prometheus (every metric family
 * on) must be ≥ 0.8× the throughput of a route without plugins — same gateway process,
 * same upstream, same run (Kong's published ratio for this set is 0.74).
 *
 * Three processes: the gateway (from dist/), a minimal upstream, and wrk on loopback.
 * Rounds alternate the two routes so drift affects both; the median of each is compared.
 * The gateway's CPU time per request (from /proc) is reported too: on a busy machine it is
 * the steadier measure of what the plugins cost (cpu_capacity_ratio = plain / plugins).
 *
 *   npm run build && node bench/plugins.mjs [--duration 5] [--rounds 3] [--connections 50] [--json FILE]
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const duration = Number(opt("duration", "5"));
const rounds = Number(opt("rounds", "3"));
const connections = Number(opt("connections", "50"));
const jsonOut = opt("json", undefined);
const TARGET = 0.8;
const API_KEY = "bench-key-0123456789";

if (!existsSync(join(root, "dist", "gateway", "server.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(1);
}
if (spawnSync("wrk", ["--version"]).error) {
  console.error("wrk is not installed (apt-get install wrk)");
  process.exit(1);
}

// The gateway gets CPU 0 to itself, the upstream and wrk share CPU 1 (taskset), so the
// gateway is the bottleneck and both routes are measured on the same core.
const pinning = cpus().length >= 2 && !spawnSync("taskset", ["-c", "0", "true"]).error;
const pinned = (cpu, cmd, cmdArgs) =>
  pinning ? ["taskset", ["-c", String(cpu), cmd, ...cmdArgs]] : [cmd, cmdArgs];

/** Start a node child that prints one JSON line when ready; resolve with it. */
function startChild(source, cpu) {
  const [cmd, cmdArgs] = pinned(cpu, process.execPath, ["--input-type=module", "-e", source]);
  const child = spawn(cmd, cmdArgs, {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve({ child, info: JSON.parse(buf.slice(0, nl)) });
    });
    child.once("exit", (code) => reject(new Error(`child exited early (${code})`)));
  });
}

const upstreamSource = `
import { createServer } from "node:http";
const body = JSON.stringify({ ok: true, pad: "x".repeat(200) });
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
`;

const gatewaySource = (upstreamPort) => `
import { startGateway } from "./dist/gateway/server.js";
const config = {
  _format_version: "3.0",
  consumers: [{ username: "bench", keyauth_credentials: [{ key: ${JSON.stringify(API_KEY)} }] }],
  services: [{
    name: "bench",
    url: "http://127.0.0.1:${upstreamPort}",
    routes: [
      { name: "plain", paths: ["/plain"] },
      {
        name: "plugins",
        paths: ["/plugins"],
        plugins: [
          { name: "key-auth" },
          { name: "rate-limiting", config: { second: 1000000000, policy: "local" } },
          { name: "prometheus", config: { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true, per_consumer: true } },
        ],
      },
    ],
  }],
};
const gw = await startGateway({
  config,
  proxyListen: { host: "127.0.0.1", port: 0 },
  adminListen: { host: "127.0.0.1", port: 0 },
  statusListen: null,
  accessLog: false,
  logger: { info() {}, warn() {}, error(m, f) { console.error(m, f ?? ""); } },
});
console.log(JSON.stringify({ proxyUrl: gw.proxyUrl, adminUrl: gw.adminUrl }));
process.on("SIGTERM", () => gw.close().then(() => process.exit(0)));
`;

/** CPU time (user + system, seconds) a process has used so far (Linux /proc; clock ticks of 10 ms). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

let gatewayPid = 0;

function wrk(url, headers = []) {
  const h = headers.flatMap((x) => ["-H", x]);
  const cpuBefore = cpuSeconds(gatewayPid);
  const [cmd, cmdArgs] = pinned(1, "wrk", ["-t1", `-c${connections}`, `-d${duration}s`, ...h, url]);
  const r = spawnSync(cmd, cmdArgs, { encoding: "utf8" });
  const cpu = cpuSeconds(gatewayPid) - cpuBefore;
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
  const errors = /Socket errors:.*/.exec(r.stdout)?.[0] ?? "";
  const latency = /Latency\s+([\d.]+\w+)/.exec(r.stdout)?.[1] ?? "";
  // gateway CPU per request: independent of how busy the rest of the machine is
  return { rps, non2xx, errors, latency, cpuUsPerRequest: (cpu * 1e6) / requests };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const upstream = await startChild(upstreamSource, 1);
const gateway = await startChild(gatewaySource(upstream.info.port), 0);
gatewayPid = gateway.child.pid;
try {
  const base = gateway.info.proxyUrl;
  // warm-up (JIT, connection pools)
  wrk(`${base}/plain`);
  wrk(`${base}/plugins`, [`apikey: ${API_KEY}`]);
  const plain = [];
  const withPlugins = [];
  const plainCpu = [];
  const pluginsCpu = [];
  for (let i = 0; i < rounds; i++) {
    const a = wrk(`${base}/plain`);
    const b = wrk(`${base}/plugins`, [`apikey: ${API_KEY}`]);
    if (a.non2xx || b.non2xx)
      throw new Error(`non-2xx answers during the run: plain ${a.non2xx}, plugins ${b.non2xx}`);
    plain.push(a.rps);
    withPlugins.push(b.rps);
    plainCpu.push(a.cpuUsPerRequest);
    pluginsCpu.push(b.cpuUsPerRequest);
    console.error(
      `round ${i + 1}: no plugins ${a.rps.toFixed(0)} req/s, ${a.cpuUsPerRequest.toFixed(0)} µs CPU/req; ` +
        `plugins ${b.rps.toFixed(0)} req/s, ${b.cpuUsPerRequest.toFixed(0)} µs CPU/req`,
    );
  }
  const metrics = await (await fetch(`${gateway.info.adminUrl}/metrics`)).text();
  const counted = /kong_http_requests_total\{[^}]*route="plugins"[^}]*\} (\d+)/.exec(metrics)?.[1];
  const ratio = median(withPlugins) / median(plain);
  const result = {
    setup: {
      duration_s: duration,
      rounds,
      connections,
      wrk_threads: 1,
      cpus: (await import("node:os")).cpus().length,
    },
    no_plugins_rps: Math.round(median(plain)),
    plugins_rps: Math.round(median(withPlugins)),
    ratio: Number(ratio.toFixed(3)),
    gateway_cpu_us_per_request: {
      no_plugins: Math.round(median(plainCpu)),
      plugins: Math.round(median(pluginsCpu)),
    },
    cpu_capacity_ratio: Number((median(plainCpu) / median(pluginsCpu)).toFixed(3)),
    target: TARGET,
    pass: ratio >= TARGET,
    prometheus_counted_requests: counted === undefined ? null : Number(counted),
  };
  console.log(JSON.stringify(result, null, 2));
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = result.pass ? 0 : 1;
} finally {
  gateway.child.kill("SIGTERM");
  upstream.child.kill("SIGTERM");
}
