/**
 * `stack ps` of a Swarm deployment: every task that should run or recently stopped, with its node,
 * state and error, and each gateway replica's readiness and configuration hash (so a half-rolled
 * configuration shows as two hashes).
 */
import type Docker from "dockerode";
import { type GatewayReplicaStatus, probeGateways } from "./gateway-probe.js";
import { type SwarmTaskInfo, shortServiceName, stackServices, stackTasks, swarmNodes } from "./resources.js";

export interface SwarmTaskRow {
  service: string;
  /** `<service>.<slot>` (replicated) or `<service>@<node>` (global) */
  task: string;
  id: string;
  node: string;
  desired: string;
  state: string;
  error: string;
  /** the task's address on the edge or backend network */
  address: string;
  since: string;
}

export interface SwarmPs {
  stack: string;
  tasks: SwarmTaskRow[];
  gateways: Array<GatewayReplicaStatus & { task: string | null; node: string | null }>;
  /** distinct configuration hashes the gateway replicas serve (more than one: a config is rolling) */
  configurationHashes: string[];
}

function addressOf(task: SwarmTaskInfo): string {
  for (const a of task.NetworksAttachments ?? []) {
    const addr = a.Addresses?.[0];
    if (addr) return addr.split("/")[0] ?? "";
  }
  return "";
}

export async function swarmPs(docker: Docker, stack: string, opts: { all?: boolean } = {}): Promise<SwarmPs> {
  const [services, tasks, nodes] = await Promise.all([
    stackServices(docker, stack),
    stackTasks(docker, stack),
    swarmNodes(docker),
  ]);
  const nodeName = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID.slice(0, 12)]));
  const serviceName = new Map(services.map((s) => [s.ID, shortServiceName(stack, s.Spec.Name)]));
  const rows: SwarmTaskRow[] = tasks
    .filter((t) => opts.all === true || t.DesiredState === "running")
    .map((t) => {
      const service = serviceName.get(t.ServiceID) ?? t.ServiceID.slice(0, 12);
      const node = nodeName.get(t.NodeID ?? "") ?? "";
      return {
        service,
        task: t.Slot ? `${service}.${t.Slot}` : `${service}@${node}`,
        id: t.ID.slice(0, 12),
        node,
        desired: t.DesiredState ?? "",
        state: t.Status?.State ?? "",
        error: t.Status?.Err ?? "",
        address: addressOf(t),
        since: t.Status?.Timestamp ?? "",
      };
    })
    .sort((a, b) => (a.task < b.task ? -1 : a.task > b.task ? 1 : a.since < b.since ? 1 : -1));

  const gatewayService = services.find((s) => shortServiceName(stack, s.Spec.Name) === "gateway");
  let gateways: SwarmPs["gateways"] = [];
  const image = gatewayService?.Spec.TaskTemplate?.ContainerSpec?.Image;
  if (gatewayService && image) {
    const byAddress = new Map(
      tasks
        .filter((t) => t.ServiceID === gatewayService.ID && t.DesiredState === "running")
        .flatMap((t) =>
          (t.NetworksAttachments ?? []).map((a) => [(a.Addresses?.[0] ?? "").split("/")[0], t] as const),
        ),
    );
    gateways = (await probeGateways(docker, stack, image)).map((g) => {
      const t = byAddress.get(g.address);
      return {
        ...g,
        task: t ? `gateway.${t.Slot}` : null,
        node: t ? (nodeName.get(t.NodeID ?? "") ?? null) : null,
      };
    });
  }
  const configurationHashes = [
    ...new Set(gateways.map((g) => g.configuration_hash).filter((h): h is string => h !== null)),
  ].sort();
  return { stack, tasks: rows, gateways, configurationHashes };
}
