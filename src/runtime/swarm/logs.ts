/**
 * `stack logs` of a Swarm deployment: each service's log through the manager (`docker service logs`:
 * the manager gathers every task's output from its node), each line prefixed `<service>.<slot>@<node>`.
 * Without --follow the lines of all services are merged by time.
 */
import type Docker from "dockerode";
import { GatestackError } from "../../errors.js";
import { dockerError } from "../engine.js";
import { LogDemuxer } from "../log-frames.js";
import { type LogsOptions, logLineJson, parseSince, StreamLines, timeKey } from "../logs.js";
import { shortServiceName, stackServices, stackTasks, swarmNodes } from "./resources.js";

/** dockerode's Task has logs() (GET /tasks/{id}/logs); its typings do not say so. */
interface TaskLogs {
  logs(opts: Record<string, unknown>): Promise<Buffer | NodeJS.ReadableStream>;
}

const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export async function streamSwarmLogs(docker: Docker, stack: string, opts: LogsOptions): Promise<number> {
  let services = await stackServices(docker, stack);
  const names = services.map((s) => shortServiceName(stack, s.Spec.Name));
  if (opts.services?.length) {
    const unknown = opts.services.filter((s) => !names.includes(s));
    if (unknown.length) {
      throw new GatestackError("E_USAGE", `no service ${unknown.join(", ")} in stack ${stack}`, {
        hint: `its services: ${names.join(", ")}`,
        exitCode: 2,
      });
    }
    services = services.filter((s) => opts.services?.includes(shortServiceName(stack, s.Spec.Name)));
  }
  const [tasks, nodes] = await Promise.all([stackTasks(docker, stack), swarmNodes(docker)]);
  const taskLabel = new Map(
    tasks.map((t) => {
      const svc = services.find((s) => s.ID === t.ServiceID);
      const node = nodes.find((n) => n.ID === t.NodeID)?.Description?.Hostname ?? "";
      const name = svc ? shortServiceName(stack, svc.Spec.Name) : "";
      return [t.ID, `${name}${t.Slot ? `.${t.Slot}` : ""}@${node}`] as const;
    }),
  );
  const serviceOfTask = new Map(
    tasks.map((t) => {
      const svc = services.find((s) => s.ID === t.ServiceID);
      return [t.ID, svc ? shortServiceName(stack, svc.Spec.Name) : ""] as const;
    }),
  );
  const width = Math.max(0, ...[...taskLabel.values()].map((l) => l.length));
  const since = opts.since ? parseSince(opts.since) : undefined;
  const tail = opts.tail && opts.tail !== "all" ? Number(opts.tail) : undefined;
  const base = {
    stdout: true,
    stderr: true,
    timestamps: true,
    details: true,
    ...(since !== undefined ? { since } : {}),
    ...(tail !== undefined ? { tail } : {}),
  };
  // a detailed line: `<timestamp> com.docker.swarm.node.id=…,com.docker.swarm.service.id=…,com.docker.swarm.task.id=… <message>`
  const format = (raw: string, color: number, stream: "stdout" | "stderr") => {
    const m = /^(\S+) (\S*) ?(.*)$/.exec(raw);
    const ts = m?.[1] ?? "";
    const details = m?.[2] ?? "";
    const body = m?.[3] ?? raw;
    const taskId = /com\.docker\.swarm\.task\.id=([a-z0-9]+)/.exec(details)?.[1] ?? "";
    const label = (taskLabel.get(taskId) ?? taskId.slice(0, 12)).padEnd(width);
    if (opts.json) {
      const service = serviceOfTask.get(taskId) ?? "";
      const container = label.trimEnd();
      return { key: timeKey(ts), text: logLineJson({ service, container, stream, time: ts, message: body }) };
    }
    const prefix = opts.color ? `\u001b[${color}m${label} | \u001b[39m` : `${label} | `;
    return { key: timeKey(ts), text: `${prefix}${opts.timestamps ? `${ts} ` : ""}${body}\n` };
  };
  const lines: Array<{ key: string; text: string }> = [];
  let count = 0;
  const collect = async (
    what: string,
    open: () => Promise<NodeJS.ReadableStream | Buffer>,
    color: number,
  ): Promise<void> => {
    let stream: NodeJS.ReadableStream | Buffer;
    try {
      stream = await open();
    } catch (err) {
      throw dockerError(`reading logs of ${what}`, err);
    }
    const splitter = new StreamLines((s, l) => {
      const line = format(l, color, s);
      count++;
      if (opts.follow) opts.out.write(line.text);
      else lines.push(line);
    });
    const demux = new LogDemuxer((s, payload) => splitter.push(s, payload.toString("utf8")));
    if (Buffer.isBuffer(stream)) demux.push(stream);
    else {
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) demux.push(chunk);
      } catch (err) {
        if (!opts.signal?.aborted) throw dockerError(`following logs of ${what}`, err);
      }
    }
    splitter.flush();
  };
  const colorOf = (serviceId: string) =>
    PALETTE[
      Math.max(
        0,
        services.findIndex((s) => s.ID === serviceId),
      ) % PALETTE.length
    ]!;
  if (opts.follow) {
    // the manager follows every task, those started later included
    await Promise.all(
      services.map((svc) =>
        collect(
          svc.Spec.Name,
          async () =>
            (await docker.getService(svc.ID).logs({
              ...base,
              follow: true,
              ...(opts.signal ? { abortSignal: opts.signal } : {}),
            } as never)) as unknown as NodeJS.ReadableStream,
          colorOf(svc.ID),
        ),
      ),
    );
  } else {
    // task by task, on the nodes that are up: a service's log waits for every node, a down one included
    const up = new Set(nodes.filter((n) => n.Status?.State === "ready").map((n) => n.ID));
    const wanted = new Set(services.map((s) => s.ID));
    const readable = tasks.filter(
      (t) => wanted.has(t.ServiceID) && up.has(t.NodeID ?? "") && t.Status?.ContainerStatus?.ContainerID,
    );
    await Promise.all(
      readable.map((t) =>
        collect(
          taskLabel.get(t.ID) ?? t.ID,
          async () =>
            (await (docker.getTask(t.ID) as unknown as TaskLogs).logs({ ...base, follow: false })) as Buffer,
          colorOf(t.ServiceID),
        ),
      ),
    );
    const skipped = tasks.filter(
      (t) => wanted.has(t.ServiceID) && t.NodeID && !up.has(t.NodeID) && t.DesiredState === "running",
    );
    if (skipped.length > 0)
      opts.warn?.(
        `${skipped.length} task(s) on nodes that are down are left out: ${skipped.map((t) => taskLabel.get(t.ID)).join(", ")}`,
      );
    lines.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const l of lines) opts.out.write(l.text);
  }
  return count;
}
