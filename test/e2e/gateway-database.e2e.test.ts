/**
 * `stack up` of a stack in database mode (gateway.database: postgres) on a real engine: once the
 * gateways are healthy, the rendered gateway.yaml is synced into PostgreSQL from inside a gateway
 * container (`stack gateway sync`: the stack's entities tagged gatestack-managed), so the chain
 * serves the app; a service created through the Admin API since survives the next `stack up`,
 * which writes nothing; `stack health` finds the database holding gateway.yaml; `stack gateway
 * dump` in the container writes the stored state.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { initStack, stack, stackOk } from "./support/cli.js";
import { docker, projectContainers, purgeProject, uniqueProject } from "./support/docker.js";
import { freePort, get } from "./support/net.js";

let work: string;
let dir: string;
let project: string;
let base: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "gs-e2e-db-"));
  dir = path.join(work, "demo");
  project = uniqueProject("dbsync");
  const https = await freePort();
  base = `https://127.0.0.1:${https}`;
  await initStack(dir, "monolith", project, { http: await freePort(), https });
  const file = path.join(dir, "stack.yaml");
  const doc = parseDocument(await readFile(file, "utf8"));
  doc.setIn(["gateway", "database"], "postgres");
  await writeFile(file, doc.toString());
});

afterAll(async () => {
  await purgeProject(project);
  await rm(work, { recursive: true, force: true });
});

/** A command in the (first) gateway container; its stdout. */
async function inGateway(cmd: string[]): Promise<string> {
  const gw = (await projectContainers(project)).find(
    (c) => c.Labels["com.docker.compose.service"] === "gateway" && c.State === "running",
  );
  if (!gw) throw new Error("no running gateway container");
  const exec = await docker.getContainer(gw.Id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
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

/** The gateway's Admin API from inside its container (it is not published), with its token. */
async function admin(method: string, p: string, body?: unknown): Promise<Record<string, unknown>> {
  const script = `fetch('http://127.0.0.1:8001${p}', { method: '${method}', headers: { authorization: 'Bearer ' + process.env.GATEWAY_ADMIN_TOKEN, 'content-type': 'application/json' }${
    body === undefined ? "" : `, body: ${JSON.stringify(JSON.stringify(body))}`
  } }).then((r) => r.text()).then((t) => process.stdout.write(t))`;
  return JSON.parse(await inGateway(["node", "-e", script])) as Record<string, unknown>;
}

const names = async (p: string) =>
  ((await admin("GET", p)).data as Array<{ name: string }>).map((e) => e.name).sort();

function syncTask(stdout: string): { status: string; detail?: string } | undefined {
  return stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; id?: string; status: string; detail?: string })
    .filter((e) => e.type === "task" && e.id === "gateway-sync")
    .at(-1);
}

describe("stack up in database mode: gateway.yaml synced into PostgreSQL", () => {
  it("the first up syncs every entity, tagged; the chain serves the app", async () => {
    const r = await stackOk(["up", "--dir", dir, "--json"], { timeoutMs: 900_000 });
    const task = syncTask(r.stdout);
    expect(task?.status).toBe("done");
    expect(task?.detail).toMatch(/^[1-9]\d* created, 0 updated, 0 deleted, 0 unchanged$/);
    const services = (await admin("GET", "/services")).data as Array<{ name: string; tags: string[] }>;
    expect(services.length).toBeGreaterThan(0);
    for (const s of services) expect(s.tags).toContain("gatestack-managed");
    const res = await get(`${base}/api/items`);
    expect(res.status).toBe(200);
  });

  it("an Admin API service survives the next up, which writes nothing", async () => {
    const made = await admin("POST", "/services", { name: "by-hand", url: "http://127.0.0.1:9/" });
    expect(made.name).toBe("by-hand");
    const before = await names("/services");
    const r = await stackOk(["up", "--dir", dir, "--json"], { timeoutMs: 600_000 });
    expect(syncTask(r.stdout)?.detail).toMatch(/^0 created, 0 updated, 0 deleted, [1-9]\d* unchanged$/);
    expect(await names("/services")).toEqual(before);
    expect(before).toContain("by-hand");
  });

  it("stack health: the database holds gateway.yaml, every replica serves the same state", async () => {
    const r = await stack(["health", "--dir", dir, "--json"], { timeoutMs: 300_000 });
    const report = JSON.parse(r.stdout) as {
      layers: Array<{ name: string; checks: Array<{ name: string; status: string; detail: string }> }>;
    };
    const gateway = report.layers.find((l) => l.name === "gateway")!.checks;
    expect(gateway.find((c) => c.name === "gateway database")).toMatchObject({
      status: "ok",
      detail: expect.stringMatching(
        /^holds gateway\.yaml \(\d+ entities; 1 more made through the Admin API\)$/,
      ),
    });
    expect(gateway.find((c) => c.name === "gateway-1 config")).toMatchObject({ status: "ok" });
  });

  it("stack gateway dump in the container writes the stored state", async () => {
    const text = await inGateway([
      "node",
      "bin/run.js",
      "gateway",
      "dump",
      "--select-tag",
      "gatestack-managed",
    ]);
    const doc = parseDocument(text).toJS() as { _format_version: string; services: Array<{ name: string }> };
    expect(doc._format_version).toBe("3.0");
    expect(doc.services.map((s) => s.name)).not.toContain("by-hand");
    expect(doc.services.length).toBe((await names("/services")).length - 1);
  });
});
