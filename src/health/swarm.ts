/**
 * `stack health` of a Swarm deployment, in the same report model as a compose one:
 *  containers  every service's tasks: running / wanted, the engine's last task error
 *  edge        Caddy answers on the manager's published port
 *  gateway     each replica's /status/ready and the configuration it serves, against
 *              deploy/swarm/gateway.yaml (two hashes: a change is still rolling)
 *  services    each app's health path through Caddy → gateway → app
 * The tasks are on overlay networks this machine cannot reach: replicas are read through a probe
 * container on the manager (gateway-probe.ts), the apps through the public chain only.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type Docker from "dockerode";
import { SWARM_DIR } from "../render/targets.js";
import { serviceConvergence } from "../runtime/swarm/converge.js";
import { probeGateways } from "../runtime/swarm/gateway-probe.js";
import { shortServiceName, stackServices, stackTasks, swarmNodes } from "../runtime/swarm/resources.js";
import type { LoadedStack } from "../stack/load.js";
import { aggregate } from "./aggregate.js";
import { check, httpStatusText, type LayerOutcome } from "./checks/context.js";
import { httpProbe, round } from "./probe/http.js";
import { HEALTH_SCHEMA_VERSION, type HealthReport } from "./report.js";
import { gatewayConfigFacts, healthTargets } from "./targets.js";

export interface SwarmHealthOptions {
  timeoutMs: number;
  docker: Docker;
  /** where Caddy answers: http(s)://<a manager's address>:<published port> */
  edgeUrl: string;
}

export async function runSwarmHealth(loaded: LoadedStack, opts: SwarmHealthOptions): Promise<HealthReport> {
  const started = performance.now();
  const generatedAt = new Date();
  const stack = loaded.config.name;
  const { docker, timeoutMs } = opts;
  const [services, tasks, nodes, targets] = await Promise.all([
    stackServices(docker, stack),
    stackTasks(docker, stack),
    swarmNodes(docker),
    healthTargets(loaded),
  ]);
  const since = generatedAt.getTime();

  // containers: the tasks of every service
  const states = services.map((s) => serviceConvergence(stack, s, tasks, nodes, since));
  const tasksLayer: LayerOutcome = {
    layer: "containers",
    checks: states.map((s) =>
      s.running >= s.desired
        ? check("containers", `${s.service} tasks`, "ok", null, `${s.running}/${s.desired} running`)
        : check("containers", `${s.service} tasks`, "fail", null, `${s.running}/${s.desired} running`, {
            reason: s.lastError ?? "tasks are not running",
            hint: `\`stack ps\` shows each task; \`stack logs ${s.service}\` its output`,
          }),
    ),
    serves: ["caddy", "gateway"].every((name) => (states.find((s) => s.service === name)?.running ?? 0) > 0),
  };

  const base = opts.edgeUrl.replace(/\/$/, "");
  const edgeProbe = httpProbe({ url: `${base}/`, headers: { host: targets.hostHeader }, timeoutMs });
  const chainProbes = targets.services.map(async (svc) => {
    const name = `${svc.name} through the chain`;
    if (!("route" in svc.chain))
      return check("services", name, "warn", null, "not probed", { reason: svc.chain.skip });
    const r = await httpProbe({ url: `${base}${svc.chain.path}`, headers: svc.chain.headers, timeoutMs });
    if (r.ok && r.status >= 200 && r.status < 300)
      return check("services", name, "ok", r.ms, `${svc.chain.path} answered ${httpStatusText(r.status)}`);
    return check("services", name, "fail", r.ms, `${svc.chain.path} did not answer 2xx`, {
      reason: r.ok ? `answered ${httpStatusText(r.status)}` : r.error.message,
      hint: `\`stack logs gateway\` and \`stack logs ${svc.name}\``,
    });
  });
  const gatewayImage = services.find((s) => shortServiceName(stack, s.Spec.Name) === "gateway")?.Spec
    .TaskTemplate?.ContainerSpec?.Image;
  const replicasProbe = gatewayImage ? probeGateways(docker, stack, gatewayImage) : Promise.resolve([]);
  const expected = await readFile(join(loaded.dir, SWARM_DIR, "gateway.yaml"), "utf8").then(
    (text) => gatewayConfigFacts(text).hash,
    () => null,
  );

  const [edge, chain, replicas] = await Promise.all([edgeProbe, Promise.all(chainProbes), replicasProbe]);
  const edgeLayer: LayerOutcome = {
    layer: "edge",
    checks: [
      edge.ok
        ? check("edge", `Caddy at ${base}`, "ok", edge.ms, `answered ${httpStatusText(edge.status)}`)
        : check("edge", `Caddy at ${base}`, "fail", edge.ms, "no answer", {
            reason: edge.error.message,
            hint: "Caddy publishes in host mode on the managers: is this a manager's address? (`stack health --edge URL`)",
          }),
    ],
    serves: edge.ok,
  };
  const hashes = new Set(replicas.map((r) => r.configuration_hash).filter((h): h is string => h !== null));
  const gatewayLayer: LayerOutcome = {
    layer: "gateway",
    checks: [
      ...replicas.map((r) => {
        const name = `gateway ${r.address} ready`;
        if (!r.ready)
          return check("gateway", name, "fail", null, "not ready", {
            reason: r.error ?? "/status/ready is not 200",
          });
        if (expected !== null && r.configuration_hash !== expected)
          return check(
            "gateway",
            name,
            "warn",
            null,
            `serves ${(r.configuration_hash ?? "?").slice(0, 12)}`,
            {
              reason: `deploy/swarm/gateway.yaml is ${expected.slice(0, 12)}: not deployed yet, or still rolling`,
              hint: "`stack deploy` (it waits until every replica serves it)",
            },
          );
        return check(
          "gateway",
          name,
          "ok",
          null,
          `ready, serves ${(r.configuration_hash ?? "?").slice(0, 12)}`,
        );
      }),
      hashes.size > 1
        ? check("gateway", "one configuration", "warn", null, `${hashes.size} configurations served`, {
            reason: "the replicas serve different configurations: a change is rolling out",
          })
        : check(
            "gateway",
            "one configuration",
            replicas.length > 0 ? "ok" : "fail",
            null,
            `${replicas.length} replica(s) answered`,
            {
              reason: "no gateway replica answered",
            },
          ),
    ],
    serves: replicas.some((r) => r.ready),
  };
  const servicesLayer: LayerOutcome = {
    layer: "services",
    checks: chain,
    serves: chain.length === 0 || chain.some((c) => c.status !== "fail"),
  };
  const { layers, status, exitCode } = aggregate([tasksLayer, edgeLayer, gatewayLayer, servicesLayer]);
  return {
    schemaVersion: HEALTH_SCHEMA_VERSION,
    stack,
    status,
    exitCode,
    generatedAt: generatedAt.toISOString(),
    durationMs: round(performance.now() - started),
    layers,
    trace: null,
  };
}

/** The edge URL on a manager: the host of a tcp/ssh engine address, else this machine. */
export function defaultEdgeUrl(engineHost: string | undefined, https: boolean, port: number): string {
  let host = "127.0.0.1";
  if (engineHost) {
    try {
      const u = new URL(engineHost);
      if (u.protocol !== "unix:" && u.hostname) host = u.hostname;
    } catch {
      // not a URL: this machine
    }
  }
  const h = host.includes(":") ? `[${host}]` : host;
  return `${https ? "https" : "http"}://${h}:${port}`;
}
