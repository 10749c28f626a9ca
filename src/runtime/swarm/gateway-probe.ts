/**
 * Each gateway task's own view — ready or not, the configuration hash it serves — read from its
 * status listener. The tasks are on overlay networks this machine cannot reach, so a short-lived
 * container on the manager, attached to the stack's (attachable) edge network and running the
 * gateway image's own node, asks every address `tasks.gateway` resolves to and prints JSON.
 */
import type Docker from "dockerode";
import { PORTS } from "../../render/topology.js";
import { dockerError } from "../engine.js";
import { LogDemuxer } from "../log-frames.js";

export interface GatewayReplicaStatus {
  address: string;
  ready: boolean;
  configuration_hash: string | null;
  error: string | null;
}

const PROBE = `
const dns = require("node:dns").promises;
(async () => {
  let ips = [];
  try { ips = await dns.resolve4("tasks.gateway"); } catch {}
  const out = await Promise.all(ips.sort().map(async (ip) => {
    const base = "http://" + ip + ":${PORTS.gatewayStatus}";
    try {
      const ready = await fetch(base + "/status/ready", { signal: AbortSignal.timeout(2000) });
      const status = await fetch(base + "/status", { signal: AbortSignal.timeout(2000) }).then((r) => r.json());
      return { address: ip, ready: ready.status === 200, configuration_hash: status.configuration_hash ?? null, error: null };
    } catch (e) {
      return { address: ip, ready: false, configuration_hash: null, error: String(e && e.message || e) };
    }
  }));
  process.stdout.write(JSON.stringify(out));
})();
`;

export async function probeGateways(
  docker: Docker,
  stack: string,
  image: string,
): Promise<GatewayReplicaStatus[]> {
  let container: Docker.Container | null = null;
  const spec = {
    Image: image,
    Entrypoint: ["node", "-e", PROBE],
    Cmd: [],
    Labels: { "dev.gatestack.probe": stack },
    HostConfig: { NetworkMode: `${stack}_edge` },
  };
  try {
    try {
      container = await docker.createContainer(spec);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      // the manager runs no gateway task: fetch the image the service runs
      const stream = (await docker.pull(image)) as NodeJS.ReadableStream;
      for await (const _ of stream as AsyncIterable<Buffer>) {
        // drain the progress stream
      }
      container = await docker.createContainer(spec);
    }
    await container.start();
    await container.wait();
    const raw = (await container.logs({ stdout: true, stderr: false })) as Buffer;
    let text = "";
    new LogDemuxer((_s, payload) => {
      text += payload.toString("utf8");
    }).push(raw);
    return JSON.parse(text || "[]") as GatewayReplicaStatus[];
  } catch (err) {
    throw dockerError("probing the gateway replicas", err);
  } finally {
    await container?.remove({ force: true }).catch(() => undefined);
  }
}
