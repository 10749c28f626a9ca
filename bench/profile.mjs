#!/usr/bin/env node
/**
 * Where the gateway's CPU goes under load: the gateway (from dist/) runs with `--cpu-prof`
 * behind wrk, then the V8 profile is summarised — self time per function and per file, the
 * top entries printed. The .cpuprofile is kept (open it in Chrome DevTools or speedscope for a
 * flame graph).
 *
 *   npm run build && node bench/profile.mjs [--seconds 10] [--connections 50] [--route plain|plugins|otel|otel-unsampled]
 *                                           [--top 30] [--out DIR] [--routes 10000]
 * With --routes N the plain route is joined by N routes over N/10 services and the requests spread
 * over N/10 of them (bench/proxy.mjs's 10,000-route mix).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { HAVE_NGINX, startNginxUpstream } from "./peers.mjs";
import { nodeChild, opt, ROOT, requireBuildAndWrk, UPSTREAM_SOURCE, WRK_PREFIX, wrkRun } from "./support.mjs";

const seconds = Number(opt("seconds", "10"));
const connections = Number(opt("connections", "50"));
const route = opt("route", "plain");
const top = Number(opt("top", "30"));
const outDir = opt("out", join(ROOT, "bench", "profiles"));
const extraRoutes = Number(opt("routes", "0"));
const API_KEY = "bench-key-0123456789";

requireBuildAndWrk();
mkdirSync(outDir, { recursive: true });

const gatewaySource = (port) => `
import { startGateway } from "./dist/gateway/server.js";
function extraServices(n, port) {
  const services = [];
  for (let s = 0; s < n / 10; s++) {
    const routes = [];
    for (let r = 0; r < 10; r++) routes.push({ name: "r" + (s * 10 + r), paths: ["/svc" + s + "/r" + r] });
    services.push({ name: "s" + s, url: "http://127.0.0.1:" + port, routes });
  }
  return services;
}
const gw = await startGateway({
  config: {
    _format_version: "3.0",
    consumers: [{ username: "bench", keyauth_credentials: [{ key: ${JSON.stringify(API_KEY)} }] }],
    services: [{ name: "bench", url: "http://127.0.0.1:${port}", routes: [
      { name: "plain", paths: ["/plain"] },
      { name: "plugins", paths: ["/plugins"], plugins: [
        { name: "key-auth" },
        { name: "rate-limiting", config: { second: 1000000000, policy: "local" } },
        { name: "prometheus", config: { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true, per_consumer: true } },
      ] },
      { name: "otel", paths: ["/otel"], plugins: [
        { name: "opentelemetry", config: { traces_endpoint: "http://127.0.0.1:${port}/v1/traces", sampling_rate: 1 } },
      ] },
      { name: "otel-unsampled", paths: ["/otel-unsampled"], plugins: [
        { name: "opentelemetry", config: { traces_endpoint: "http://127.0.0.1:${port}/v1/traces", sampling_rate: 0 } },
      ] },
    ] }, ...extraServices(${extraRoutes}, ${port})],
  },
  proxyListen: { host: "127.0.0.1", port: 0 },
  adminListen: null,
  statusListen: null,
  accessLog: false,
  heapCompaction: true,
  logger: { info() {}, warn() {}, error(m, f) { console.error(m, f ?? ""); } },
});
console.log(JSON.stringify({ url: gw.proxyUrl }));
process.on("SIGTERM", () => gw.close().then(() => process.exit(0)));
`;

const upstream = HAVE_NGINX ? await startNginxUpstream(1) : await nodeChild("upstream", UPSTREAM_SOURCE, 1);
const before = new Set(readdirSync(outDir));
const gateway = await nodeChild("gateway", gatewaySource(upstream.info.port), 0, [
  "--max-semi-space-size=2",
  "--cpu-prof",
  `--cpu-prof-dir=${outDir}`,
]);
try {
  const headers = route === "plugins" ? ["-H", `apikey: ${API_KEY}`] : [];
  if (extraRoutes > 0) {
    const script = join(outDir, "spread.lua");
    writeFileSync(
      script,
      `local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/svc" .. ((i * 7919) % ${extraRoutes / 10}) .. "/r" .. (i % 10) .. "/item")
end
`,
    );
    headers.push("-s", script);
  }
  const url = `${gateway.info.url}/${route}`;
  wrkRun(WRK_PREFIX, ["-t1", `-c${connections}`, "-d2s", ...headers, url], gateway.child.pid); // warm-up
  const w = wrkRun(
    WRK_PREFIX,
    ["-t1", `-c${connections}`, `-d${seconds}s`, ...headers, url],
    gateway.child.pid,
  );
  console.error(`${route}: ${w.rps.toFixed(0)} req/s, ${w.cpuUsPerRequest.toFixed(1)} µs CPU/req`);
} finally {
  const exited = new Promise((r) => gateway.child.once("exit", r));
  gateway.child.kill("SIGTERM");
  await exited;
  upstream.child.kill("SIGTERM");
}

const file = readdirSync(outDir).find((f) => f.endsWith(".cpuprofile") && !before.has(f));
if (file === undefined) throw new Error("no profile written");
const profile = JSON.parse(readFileSync(join(outDir, file), "utf8"));
// self time per node: samples × the mean interval
const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const byFunction = new Map();
const byFile = new Map();
let total = 0;
for (const node of profile.nodes) {
  const n = hits.get(node.id) ?? 0;
  if (n === 0) continue;
  total += n;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.startsWith("file://") ? relative(ROOT, new URL(url).pathname) : url || "(native)";
  const key = `${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + n);
  byFile.set(where, (byFile.get(where) ?? 0) + n);
}
const table = (m) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, n]) => `${((100 * n) / total).toFixed(1).padStart(5)} %  ${k}`)
    .join("\n");
console.log(
  `profile: ${join(relative(ROOT, outDir), file)} (${total} samples, ${(interval / 1000).toFixed(2)} ms each)`,
);
console.log(`\nself time by function (top ${top}):\n${table(byFunction)}`);
console.log(`\nself time by file (top ${top}):\n${table(byFile)}`);
