/**
 * An Admin API transport from INSIDE a gateway container (Docker exec), for the commands that
 * read and write a running stack's replicas (`stack gateway diff`, `dump`, `sync`, `ping` in a
 * stack folder): the Admin API is not published, as `stack health` knows. Unlike the health
 * probes (GETs, bodies capped), any method with a body, and whole answers — a dump of thousands
 * of entities, a POST /config of the whole file. The program is node's (the gatestack gateway
 * image runs on node). Requests issued for one container in the same tick run in ONE exec,
 * concurrently. Requests — bodies and the admin token included — travel in environment
 * variables (split in chunks under the kernel's per-string limit), never on the command line.
 * Output: one `@@GSA {"i":0,"s":200,"b":"…"}` line per request (`"e"` when it failed).
 */
import type { AdminTransport, TransportRequest } from "../../gateway-client/admin-client.js";
import type { ContainerExec } from "./in-container.js";

const PROGRAM = String.raw`(async () => {
  let text = "";
  for (let i = 0; process.env["GS_A" + i] !== undefined; i++) text += process.env["GS_A" + i];
  const reqs = JSON.parse(text || "[]");
  const out = (o) => process.stdout.write("@@GSA " + JSON.stringify(o) + "\n");
  const codeOf = (e) => {
    for (let x = e, d = 0; x && d < 4; x = x.cause, d++) {
      if (x.name === "TimeoutError" || x.name === "AbortError") return "ETIMEDOUT";
      if (typeof x.code === "string") return x.code;
    }
    return String((e && e.message) || e);
  };
  await Promise.all(reqs.map(async (r, i) => {
    try {
      const res = await fetch(r.u, { method: r.m, headers: r.h, body: r.b === null ? undefined : r.b, redirect: "manual", signal: AbortSignal.timeout(r.t) });
      out({ i, s: res.status, b: await res.text() });
    } catch (e) {
      out({ i, e: codeOf(e) });
    }
  }));
})();`;

/** Below Linux's MAX_ARG_STRLEN (128 KiB) per environment string. */
const CHUNK = 100_000;
/** Slack for starting node in the container on top of the slowest request. */
const EXEC_SLACK_MS = 3000;

interface Pending {
  req: TransportRequest;
  resolve: (v: { status: number; text: string }) => void;
  reject: (e: Error) => void;
}

/** A transport whose requests run inside `containerId` through `runner`. */
export function inContainerAdminTransport(runner: ContainerExec, containerId: string): AdminTransport {
  let queue: Pending[] | null = null;
  const flush = async (batch: Pending[]) => {
    const reqs = batch.map((p) => ({
      m: p.req.method,
      u: p.req.url,
      h: p.req.headers,
      b: p.req.body ?? null,
      t: p.req.timeoutMs,
    }));
    const json = JSON.stringify(reqs);
    const env: Record<string, string> = {};
    for (let i = 0; i * CHUNK < json.length; i++) env[`GS_A${i}`] = json.slice(i * CHUNK, (i + 1) * CHUNK);
    const limit = Math.max(...reqs.map((r) => r.t)) + EXEC_SLACK_MS;
    let stdout: string;
    let stderr: string;
    let timedOut: boolean;
    try {
      ({ stdout, stderr, timedOut } = await runner.exec(containerId, ["node", "-e", PROGRAM], env, limit));
    } catch (e) {
      for (const p of batch) p.reject(new Error(`cannot run node in the container: ${(e as Error).message}`));
      return;
    }
    const answers = new Map<number, { s?: number; b?: string; e?: string }>();
    for (const line of stdout.split("\n")) {
      if (!line.startsWith("@@GSA ")) continue;
      try {
        const o = JSON.parse(line.slice(6)) as { i: number; s?: number; b?: string; e?: string };
        answers.set(o.i, o);
      } catch {
        // a line cut short by a timeout: that request has no answer
      }
    }
    batch.forEach((p, i) => {
      const a = answers.get(i);
      if (a !== undefined && typeof a.s === "number") p.resolve({ status: a.s, text: a.b ?? "" });
      else if (a?.e !== undefined) p.reject(new Error(a.e));
      else if (timedOut) p.reject(new Error(`ETIMEDOUT (no answer within ${limit} ms)`));
      else p.reject(new Error(lastLine(stderr) || "no answer from the program in the container"));
    });
  };
  return (req) =>
    new Promise((resolve, reject) => {
      if (queue === null) {
        const batch: Pending[] = [];
        queue = batch;
        setImmediate(() => {
          queue = null;
          void flush(batch);
        });
      }
      queue.push({ req, resolve, reject });
    });
}

function lastLine(text: string): string {
  return text.trim().split("\n").slice(-1)[0] ?? "";
}
