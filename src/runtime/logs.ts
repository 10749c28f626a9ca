/**
 * `stack logs`: the output of the project's containers, each line prefixed with its container
 * (colour-coded per service). Without --follow, lines of all containers are merged by time.
 */
import type { Writable } from "node:stream";
import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import { listProjectContainers } from "./actual.js";
import { parseDuration } from "./compose/units.js";
import { dockerError } from "./engine.js";
import { LogDemuxer } from "./log-frames.js";

export interface LogsOptions {
  services?: string[];
  follow?: boolean;
  /** Relative duration ("10m"), RFC 3339 time or Unix seconds. */
  since?: string;
  /** Lines per container from the end ("all" or a number). */
  tail?: string;
  timestamps?: boolean;
  color?: boolean;
  /** One JSON object per line (LogLine) instead of prefixed text (`stack logs --json`). */
  json?: boolean;
  out: Writable;
  signal?: AbortSignal;
  /** something left out of the output (Swarm: tasks on nodes that are down) */
  warn?: (message: string) => void;
}

const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/** A line of `stack logs --json` (schema/commands/logs.schema.json). */
export interface LogLine {
  type: "log";
  service: string;
  /** the container (Compose) or the task, `<service>.<slot>@<node>` (Swarm) */
  container: string;
  stream: "stdout" | "stderr";
  /** the engine's RFC 3339 timestamp */
  time: string;
  message: string;
}

export function logLineJson(line: Omit<LogLine, "type">): string {
  return `${JSON.stringify({ type: "log", ...line })}\n`;
}

/** Splits a byte stream into complete lines, keeping a partial last line for the next chunk. */
export class LineSplitter {
  private rest = "";
  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    const parts = (this.rest + text).split("\n");
    this.rest = parts.pop() ?? "";
    for (const p of parts) this.onLine(p.replace(/\r$/, ""));
  }

  flush(): void {
    if (this.rest) this.onLine(this.rest);
    this.rest = "";
  }
}

/** One LineSplitter per output stream, so that stdout and stderr lines never join. */
export class StreamLines {
  private readonly parts: Record<"stdout" | "stderr", LineSplitter>;
  constructor(onLine: (stream: "stdout" | "stderr", line: string) => void) {
    this.parts = {
      stdout: new LineSplitter((l) => onLine("stdout", l)),
      stderr: new LineSplitter((l) => onLine("stderr", l)),
    };
  }

  push(stream: "stdout" | "stderr", text: string): void {
    this.parts[stream].push(text);
  }

  flush(): void {
    this.parts.stdout.flush();
    this.parts.stderr.flush();
  }
}

/** --since value → Unix seconds. */
export function parseSince(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Math.floor(Number(value));
  try {
    return Math.floor((now - parseDuration(value) / 1e6) / 1000);
  } catch {
    const t = Date.parse(value);
    if (Number.isNaN(t)) {
      throw new GatestackError(
        "E_USAGE",
        `--since ${value}: expected a duration (10m, 1h30m), an RFC 3339 time or Unix seconds`,
        {
          exitCode: 2,
        },
      );
    }
    return Math.floor(t / 1000);
  }
}

/** Sort key for an RFC 3339 timestamp with up to 9 fraction digits. */
export function timeKey(ts: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(ts);
  if (!m) return ts;
  return `${new Date(`${m[1]}${m[3]}`).toISOString().slice(0, 19)}.${(m[2] ?? "").padEnd(9, "0")}`;
}

interface Line {
  key: string;
  text: string;
}

export async function streamLogs(docker: Dockerode, project: string, opts: LogsOptions): Promise<number> {
  let containers = await listProjectContainers(docker, project);
  if (opts.services?.length) {
    const known = new Set(containers.map((c) => c.service));
    const unknown = opts.services.filter((s) => !known.has(s));
    if (unknown.length) {
      throw new GatestackError(
        "E_USAGE",
        `no containers for service ${unknown.join(", ")} in project ${project}`,
        {
          hint: known.size
            ? `services with containers: ${[...known].sort().join(", ")}`
            : "is the stack up? (`stack up`)",
          exitCode: 2,
        },
      );
    }
    containers = containers.filter((c) => opts.services?.includes(c.service));
  }
  if (containers.length === 0) return 0;
  const services = [...new Set(containers.map((c) => c.service))].sort();
  const width = Math.max(...containers.map((c) => c.name.length));
  const prefix = (name: string, service: string) => {
    const p = `${name.padEnd(width)} | `;
    return opts.color ? `\u001b[${PALETTE[services.indexOf(service) % PALETTE.length]}m${p}\u001b[39m` : p;
  };
  const since = opts.since ? parseSince(opts.since) : undefined;
  const tail = opts.tail && opts.tail !== "all" ? opts.tail : undefined;
  const baseOpts = {
    stdout: true,
    stderr: true,
    timestamps: true,
    ...(since !== undefined ? { since } : {}),
    ...(tail !== undefined ? { tail: Number(tail) } : {}),
  };
  const format = (name: string, service: string, raw: string, stream: "stdout" | "stderr"): Line => {
    const sp = raw.indexOf(" ");
    const ts = sp > 0 ? raw.slice(0, sp) : "";
    const body = sp > 0 ? raw.slice(sp + 1) : raw;
    if (opts.json)
      return {
        key: timeKey(ts),
        text: logLineJson({ service, container: name, stream, time: ts, message: body }),
      };
    return { key: timeKey(ts), text: `${prefix(name, service)}${opts.timestamps ? `${ts} ` : ""}${body}\n` };
  };
  const ttys = new Map<string, boolean>();
  await Promise.all(
    containers.map(async (c) => {
      const info = await docker
        .getContainer(c.id)
        .inspect()
        .catch(() => undefined);
      ttys.set(c.id, info?.Config.Tty === true);
    }),
  );

  if (!opts.follow) {
    const lines: Line[] = [];
    for (const c of containers) {
      let buf: Buffer;
      try {
        buf = (await docker.getContainer(c.id).logs({ ...baseOpts, follow: false })) as Buffer;
      } catch (err) {
        throw dockerError(`reading logs of ${c.name}`, err);
      }
      const splitter = new StreamLines((s, l) => lines.push(format(c.name, c.service, l, s)));
      if (ttys.get(c.id)) splitter.push("stdout", buf.toString("utf8"));
      else new LogDemuxer((s, payload) => splitter.push(s, payload.toString("utf8"))).push(buf);
      splitter.flush();
    }
    lines.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const l of lines) opts.out.write(l.text);
    return lines.length;
  }

  let count = 0;
  await Promise.all(
    containers.map(async (c) => {
      let stream: NodeJS.ReadableStream;
      try {
        stream = (await docker.getContainer(c.id).logs({
          ...baseOpts,
          follow: true,
          ...(opts.signal ? { abortSignal: opts.signal } : {}),
        })) as NodeJS.ReadableStream;
      } catch (err) {
        throw dockerError(`reading logs of ${c.name}`, err);
      }
      const splitter = new StreamLines((s, l) => {
        count++;
        opts.out.write(format(c.name, c.service, l, s).text);
      });
      const demux = new LogDemuxer((s, payload) => splitter.push(s, payload.toString("utf8")));
      const onAbort = () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          if (ttys.get(c.id)) splitter.push("stdout", chunk.toString("utf8"));
          else demux.push(chunk);
        }
      } catch (err) {
        if (!opts.signal?.aborted) throw dockerError(`following logs of ${c.name}`, err);
      } finally {
        opts.signal?.removeEventListener("abort", onAbort);
        splitter.flush();
      }
    }),
  );
  return count;
}
