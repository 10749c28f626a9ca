/**
 * Database mode with two gateway replicas on a real engine (the monolith, gateway.database:
 * postgres, gateway.replicas: 2): `stack up` runs the migrations job to its exit 0 before the
 * gateways, `stack health` is green in database mode (the replicas agree on one configuration,
 * both reach the database), an Admin API write through replica 1 is served by both replicas within
 * a second, a stopped PostgreSQL leaves the proxy serving while writes answer 503 and `stack
 * health` names the database, a restarted one takes writes again, and `stack down` removes every
 * container (the exited job too) but keeps the postgres volume unless --volumes.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import type { CheckResult, HealthReport } from "../../src/health/report.js";
import { initStack, stack, stackOk } from "./support/cli.js";
import { docker, projectContainers, projectNetworks, purgeProject, uniqueProject } from "./support/docker.js";
import { eventually, freePort, get } from "./support/net.js";

let work: string;
let dir: string;
let project: string;
let base: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "gs-e2e-dbrep-"));
  dir = path.join(work, "demo");
  project = uniqueProject("dbrep");
  const https = await freePort();
  base = `https://127.0.0.1:${https}`;
  await initStack(dir, "monolith", project, { http: await freePort(), https });
  const file = path.join(dir, "stack.yaml");
  const doc = parseDocument(await readFile(file, "utf8"));
  doc.setIn(["gateway", "database"], "postgres");
  doc.setIn(["gateway", "replicas"], 2);
  await writeFile(file, doc.toString());
  await stackOk(["up", "--dir", dir, "--wait-timeout", "180"], { timeoutMs: 300_000 });
});

afterAll(async () => {
  if (project) await purgeProject(project);
  if (work) await rm(work, { recursive: true, force: true });
});

/** The container of `service`'s replica `n`. */
async function containerOf(service: string, n = 1) {
  const found = (await projectContainers(project)).find(
    (c) =>
      c.Labels["com.docker.compose.service"] === service &&
      c.Labels["com.docker.compose.container-number"] === String(n),
  );
  if (!found) throw new Error(`no container ${service}-${n}`);
  return docker.getContainer(found.Id);
}

/** A command in gateway replica `n`; its stdout. */
async function inGateway(n: number, cmd: string[]): Promise<string> {
  const exec = await (await containerOf("gateway", n)).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  let out = "";
  const stdout = new PassThrough();
  stdout.on("data", (c: Buffer) => {
    out += c.toString("utf8");
  });
  docker.modem.demuxStream(stream, stdout, new PassThrough());
  await new Promise((resolve) => stream.on("end", resolve));
  return out;
}

/** A request from inside gateway replica `n` to its own listener; status and body. */
async function fromReplica(
  n: number,
  url: string,
  init: { method?: string; body?: unknown; admin?: boolean } = {},
): Promise<{ status: number; body: string }> {
  const headers = init.admin
    ? "{ authorization: 'Bearer ' + process.env.GATEWAY_ADMIN_TOKEN, 'content-type': 'application/json' }"
    : "{}";
  const body = init.body === undefined ? "" : `, body: ${JSON.stringify(JSON.stringify(init.body))}`;
  const script = `fetch('${url}', { method: '${init.method ?? "GET"}', headers: ${headers}${body}, signal: AbortSignal.timeout(5000) }).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })), (e) => process.stdout.write(JSON.stringify({ status: 0, body: String(e) })))`;
  return JSON.parse(await inGateway(n, ["node", "-e", script])) as { status: number; body: string };
}

const admin = (n: number, method: string, p: string, body?: unknown) =>
  fromReplica(n, `http://127.0.0.1:8001${p}`, { method, body, admin: true });

/** A service + route made through replica 1's Admin API: GET /<name>/items lands on the app's /items. */
async function writeRoute(name: string): Promise<void> {
  const service = await admin(1, "POST", "/services", { name, url: "http://app:8000/" });
  expect(service.status, service.body).toBe(201);
  const route = await admin(1, "POST", `/services/${name}/routes`, {
    name,
    paths: [`/${name}`],
    strip_path: true,
  });
  expect(route.status, route.body).toBe(201);
}

/** Both replicas' own proxies serve /<name>/items within `withinMs` of the write's answer. */
async function bothReplicasServe(name: string, withinMs: number): Promise<void> {
  const since = Date.now();
  await Promise.all(
    [1, 2].map((n) =>
      eventually(
        async () => (await fromReplica(n, `http://127.0.0.1:8000/${name}/items`)).status === 200,
        withinMs,
        50,
      ),
    ),
  );
  expect(Date.now() - since).toBeLessThan(withinMs + 1000);
}

async function health(): Promise<{ code: number; report: HealthReport }> {
  const r = await stack(["health", "--dir", dir, "--json"], { timeoutMs: 60_000 });
  try {
    return { code: r.code, report: JSON.parse(r.stdout) as HealthReport };
  } catch {
    throw new Error(`stack health printed no JSON report (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
  }
}

const checks = (report: HealthReport): CheckResult[] => report.layers.flatMap((l) => l.checks);

/** Caddy's HTTP → HTTPS redirect names 443 while the tests publish random ports (a known warning). */
const redirectCaveat = (c: CheckResult) =>
  c.layer === "edge" && c.status === "warn" && /^HTTP redirects to port 443/.test(c.reason ?? "");

const problems = (report: HealthReport): string[] =>
  checks(report)
    .filter((c) => c.status !== "ok" && !redirectCaveat(c))
    .map((c) => `${c.layer} / ${c.name}: ${c.status} — ${c.detail}${c.reason ? ` — ${c.reason}` : ""}`);

/** Lines of a container's log (stdout and stderr). */
async function logsOf(service: string, n: number): Promise<string> {
  const raw = (await (
    await containerOf(service, n)
  ).logs({
    stdout: true,
    stderr: true,
    follow: false,
  })) as unknown as Buffer;
  return raw.toString("utf8");
}

describe("database mode with two gateway replicas", () => {
  it("stack ps -a: the migrations job exited 0, postgres healthy, both gateways running", async () => {
    const rows = (
      JSON.parse((await stackOk(["ps", "-a", "--dir", dir, "--json"])).stdout) as {
        containers: Array<{ service: string; state: string; health: string; exitCode?: number }>;
      }
    ).containers;
    const of = (s: string) => rows.filter((r) => r.service === s);
    expect(of("gateway-migrations")).toEqual([expect.objectContaining({ state: "exited", exitCode: 0 })]);
    expect(of("postgres")).toEqual([expect.objectContaining({ state: "running", health: "healthy" })]);
    expect(of("gateway")).toHaveLength(2);
    for (const gw of of("gateway")) expect(gw).toMatchObject({ state: "running", health: "healthy" });
  });

  it("stack health: every layer ok — the completed job, postgres, both replicas on one configuration", async () => {
    const { code, report } = await health();
    expect(problems(report), problems(report).join("\n")).toEqual([]);
    expect(code).toBe(0);
    const byName = new Map(checks(report).map((c) => [c.name, c]));
    expect(byName.get("gateway-migrations-1")).toMatchObject({
      status: "ok",
      detail: expect.stringMatching(/^completed \(exit 0\)/),
    });
    expect(byName.get("postgres-1")?.status).toBe("ok");
    expect(byName.get("database reachable")?.detail).toBe("postgres reachable from gateway-1, gateway-2");
    const h1 = byName.get("gateway-1 config")?.detail;
    expect(h1).toMatch(/^serves the database's state \([0-9a-f]{12}\)$/);
    expect(byName.get("gateway-2 config")?.detail).toBe(h1);
    expect(byName.get("app through the chain")?.status).toBe("ok");
  });

  it("a write through replica 1 is served by both replicas within a second, through Caddy by both", async () => {
    expect((await get(`${base}/replicated/items`)).status).toBe(404);
    await writeRoute("replicated");
    await bothReplicasServe("replicated", 1000);
    const ids = Array.from({ length: 20 }, () => randomUUID());
    const replies = await Promise.all(
      ids.map((id) => get(`${base}/replicated/items`, { "x-request-id": id })),
    );
    expect(replies.map((r) => r.status)).toEqual(ids.map(() => 200));
    // each request in exactly one replica's access log (a line is written once the response is sent)
    const counts = await eventually(async () => {
      const logs = await Promise.all([1, 2].map((n) => logsOf("gateway", n)));
      const c = logs.map((log) => ids.filter((id) => log.includes(id)).length);
      return c[0]! + c[1]! >= ids.length ? c : undefined;
    }, 5000);
    expect(counts[0]! + counts[1]!).toBe(ids.length);
    expect(counts[0], "replica 1 answered some").toBeGreaterThan(0);
    expect(counts[1], "replica 2 answered some").toBeGreaterThan(0);
  });

  it("postgres stopped: the proxy keeps serving, writes answer 503, health names the database; started again, writes work", async () => {
    const pg = await containerOf("postgres");
    await pg.stop({ t: 5 });
    try {
      const replies = await Promise.all(Array.from({ length: 10 }, () => get(`${base}/replicated/items`)));
      expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
      expect((await get(`${base}/api/items`)).status).toBe(200);

      const write = await admin(1, "POST", "/services", { name: "while-down", url: "http://app:8000/" });
      expect(write.status).toBe(503);
      expect(JSON.parse(write.body)).toMatchObject({ message: expect.stringMatching(/database/i) });

      const { code, report } = await health();
      expect(code).toBe(1);
      expect(report.status).toBe("degraded");
      const db = checks(report).find((c) => c.name === "database reachable");
      expect(db?.status).toBe("fail");
      expect(db?.detail).toBe("postgres unreachable from gateway-1, gateway-2");
      expect(db?.reason).toContain("postgres:5432");
      expect(checks(report).find((c) => c.name === "postgres-1")?.status).toBe("fail");
      expect(checks(report).find((c) => c.name === "app through the chain")?.status).toBe("ok");
    } finally {
      await pg.start();
    }
    const back = await eventually(
      async () => {
        const r = await admin(1, "POST", "/services", { name: "after-restart", url: "http://app:8000/" });
        return r.status === 201 ? r : undefined;
      },
      10_000,
      500,
    );
    expect(back.status).toBe(201);
    const route = await admin(1, "POST", "/services/after-restart/routes", {
      name: "after-restart",
      paths: ["/after-restart"],
      strip_path: true,
    });
    expect(route.status, route.body).toBe(201);
    await bothReplicasServe("after-restart", 1000);
    const ok = await eventually(
      async () => {
        // postgres reports `warn — starting` (exit 0) until its healthcheck passes; wait for a clean report
        const h = await health();
        return h.code === 0 && problems(h.report).length === 0 ? h : undefined;
      },
      30_000,
      1000,
    );
    expect(problems(ok.report)).toEqual([]);
  });

  it("stack down removes every container (the exited job too) and keeps the postgres volume; --volumes removes it", async () => {
    const volumes = async () =>
      (
        (await docker.listVolumes({ filters: { label: [`com.docker.compose.project=${project}`] } }))
          .Volumes ?? []
      )
        .map((v) => v.Name)
        .sort();
    expect(await volumes()).toContain(`${project}_postgres_data`);
    const job = (await projectContainers(project)).filter(
      (c) => c.Labels["com.docker.compose.service"] === "gateway-migrations",
    );
    expect(job.map((c) => c.State)).toEqual(["exited"]);
    await stackOk(["down", "--dir", dir], { timeoutMs: 120_000 });
    expect(await projectContainers(project)).toEqual([]);
    expect(await projectNetworks(project)).toEqual([]);
    expect(await volumes()).toContain(`${project}_postgres_data`);
    await stackOk(["down", "--dir", dir, "--volumes"], { timeoutMs: 120_000 });
    expect(await volumes()).not.toContain(`${project}_postgres_data`);
  });
});
