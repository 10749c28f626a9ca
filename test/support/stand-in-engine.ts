/**
 * A stand-in Docker engine: a real HTTP server on a unix socket answering the few Engine API calls
 * `stack logs` / `ps` / `down` / `images` make (_ping, containers/json, containers/{id}/json,
 * containers/{id}/logs with the engine's 8-byte stream framing; no networks, volumes or images). For tests that need containers with known output: the
 * unit suite has no image it could run without pulling one, so a real engine cannot produce them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface StandInContainer {
  project: string;
  service: string;
  number?: number;
  state?: "running" | "exited";
  /** What the container wrote: [stream, RFC 3339 time, text without newline]. */
  logs?: Array<["stdout" | "stderr", string, string]>;
}

export interface StandInEngine {
  /** DOCKER_HOST for the CLI: unix://…/docker.sock */
  host: string;
  set(containers: StandInContainer[]): void;
  close(): Promise<void>;
}

function frame(stream: "stdout" | "stderr", text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const header = Buffer.alloc(8);
  header[0] = stream === "stderr" ? 2 : 1;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export async function startStandInEngine(): Promise<StandInEngine> {
  const dir = await mkdtemp(join(tmpdir(), "gs-engine-"));
  const socket = join(dir, "docker.sock");
  let containers: StandInContainer[] = [];
  const idOf = (c: StandInContainer) => `${c.project}-${c.service}-${c.number ?? 1}`;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (path.endsWith("/_ping")) return send(200, "OK");
    // The stack has no networks, volumes or images of its own here.
    if (path.endsWith("/networks") || path.endsWith("/images/json")) return send(200, []);
    if (path.endsWith("/volumes")) return send(200, { Volumes: [], Warnings: [] });
    if (path.endsWith("/containers/json")) {
      const filters = new URL(req.url ?? "", "http://engine").searchParams.get("filters") ?? "{}";
      const labels = (JSON.parse(filters) as { label?: string[] }).label ?? [];
      return send(
        200,
        containers
          .filter((c) =>
            labels.every((l) => {
              const [key = "", value] = l.split("=");
              return value === undefined ? key in labelsOf(c) : labelsOf(c)[key] === value;
            }),
          )
          .map((c) => ({
            Id: idOf(c),
            Names: [`/${idOf(c)}`],
            Image: "stand-in",
            State: c.state ?? "running",
            Status: c.state === "exited" ? "Exited (0) 1 minute ago" : "Up 1 minute",
            Labels: labelsOf(c),
            Ports: [],
          })),
      );
    }
    const m = /\/containers\/([^/]+)\/(json|logs)$/.exec(path);
    const c = m && containers.find((x) => idOf(x) === m[1]);
    if (m && c && m[2] === "json")
      return send(200, {
        Id: idOf(c),
        Name: `/${idOf(c)}`,
        RestartCount: 0,
        State: { Status: c.state ?? "running", Running: c.state !== "exited", ExitCode: 0 },
        Config: { Image: "stand-in", Labels: labelsOf(c), Tty: false },
        NetworkSettings: { Networks: {} },
      });
    if (m && c && m[2] === "logs") {
      res.writeHead(200, { "content-type": "application/vnd.docker.raw-stream" });
      res.end(Buffer.concat((c.logs ?? []).map(([s, t, text]) => frame(s, `${t} ${text}\n`))));
      return;
    }
    send(404, { message: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    host: `unix://${socket}`,
    set: (list) => {
      containers = list;
    },
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function labelsOf(c: StandInContainer): Record<string, string> {
  return {
    "com.docker.compose.project": c.project,
    "com.docker.compose.service": c.service,
    "com.docker.compose.container-number": String(c.number ?? 1),
    "com.docker.compose.oneoff": "False",
  };
}
