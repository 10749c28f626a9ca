/**
 * `stack deploy` to a real three-node Docker Swarm (Docker-in-Docker nodes and a registry container
 * on this machine, support/swarm.ts): the microservices starter with three gateway replicas, built
 * on the manager and pushed to the registry the workers pull from. Through Caddy (the manager's
 * host-mode port, published on 127.0.0.1 only): every route answers; the rate limit is exact across
 * replicas on different nodes; a redeploy with a changed route under steady load fails no request;
 * a stopped worker's tasks are rescheduled and requests succeed again within 30 s. `stack ps`,
 * `stack logs` and `stack down` work on the deployment.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { parseEnvFile } from "../../src/stack/env-file.js";
import { GATESTACK_VERSION } from "../../src/version.js";
import { initStack, stackOk, upResult } from "./support/cli.js";
import { get } from "./support/net.js";
import { type Swarm, startSwarm } from "./support/swarm.js";

const EDGE_PORT = 8080;
const LIMIT = 5;
let swarm: Swarm;
let work: string;
let dir: string;
let base: string;
let apiKey: string;
let engine: string[];

async function editStack(change: (doc: ReturnType<typeof parseDocument>) => void): Promise<void> {
  const file = path.join(dir, "stack.yaml");
  const doc = parseDocument(await readFile(file, "utf8"));
  change(doc);
  await writeFile(file, doc.toString());
}

function serviceIndex(doc: ReturnType<typeof parseDocument>, name: string): number {
  const services = doc.get("services") as { items: Array<{ get(k: string): unknown }> };
  return services.items.findIndex((s) => s.get("name") === name);
}

async function deploy(): Promise<Record<string, unknown>> {
  const r = await stackOk(
    ["deploy", "--dir", dir, ...engine, "--registry", swarm.registry, "--json", "--timeout", "300"],
    {
      timeoutMs: 600_000,
    },
  );
  return upResult(r.stdout);
}

interface PsResult {
  mode: string;
  tasks: Array<{ service: string; node: string; state: string; id: string }>;
  gateways: Array<{ ready: boolean; configuration_hash: string | null; node: string | null }>;
  configurationHashes: string[];
}

async function ps(): Promise<PsResult> {
  return JSON.parse((await stackOk(["ps", "--dir", dir, ...engine, "--json"])).stdout) as PsResult;
}

beforeAll(async () => {
  swarm = await startSwarm({ id: `t${process.pid}`, nodeCount: 3, publishPorts: [EDGE_PORT] });
  engine = ["--host", swarm.managerHost];
  base = `http://127.0.0.1:${swarm.published[EDGE_PORT]}`;
  // the manager builds the apps and has the gateway image; every node has the public images
  // (nothing can be pulled from a public registry here)
  await swarm.loadImages(
    ["python:3.12-slim", `gatestack/gateway:${GATESTACK_VERSION}`],
    [swarm.nodes[0]!.name],
  );
  await swarm.loadImages(["caddy:2.8", "redis:7"]);

  work = await mkdtemp(path.join(tmpdir(), "gs-e2e-swarm-"));
  dir = path.join(work, "market");
  await initStack(dir, "microservices", "market", { http: EDGE_PORT, https: 8443 }, ["--https", "off"]);
  await editStack((doc) => {
    doc.setIn(["gateway", "replicas"], 3);
    // the failover test sends orders more than the starter's 60 a minute
    const orders = serviceIndex(doc, "orders");
    doc.setIn(["services", orders, "plugins", 1, "config", "minute"], 100_000);
    // a small limit on users, so exactness across replicas shows
    const users = serviceIndex(doc, "users");
    doc.setIn(
      ["services", users, "plugins"],
      // by a header the test sends: stack health's own probes of users count elsewhere (by ip)
      [{ name: "rate-limiting", config: { minute: LIMIT, limit_by: "header", header_name: "X-Client-Id" } }],
    );
  });
  apiKey = parseEnvFile(await readFile(path.join(dir, ".env"), "utf8")).DEMO_API_KEY as string;
}, 600_000);

afterAll(async () => {
  await swarm?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("stack deploy to a three-node swarm", () => {
  it("deploys, pushes to the registry and waits until every service converged", async () => {
    const result = await deploy();
    console.log(`swarm figures: first deploy ${result.durationMs} ms`);
    expect(result.nodes).toBe(3);
    expect(result.registry).toBe(swarm.registry);
    const services = result.services as Array<{
      service: string;
      running: number;
      desired: number;
      converged: boolean;
    }>;
    expect(services.every((s) => s.converged && s.running === s.desired)).toBe(true);
    expect(services.find((s) => s.service === "gateway")?.running).toBe(3);
    const p = await ps();
    expect(p.mode).toBe("swarm");
    const gatewayNodes = new Set(p.tasks.filter((t) => t.service === "gateway").map((t) => t.node));
    expect(gatewayNodes.size).toBeGreaterThan(1); // spread over nodes
    expect(p.gateways).toHaveLength(3);
    expect(p.gateways.every((g) => g.ready)).toBe(true);
    expect(p.configurationHashes).toHaveLength(1);
  });

  it("answers every route through Caddy", async () => {
    expect((await get(`${base}/api/catalog/health`)).status).toBe(200);
    expect((await get(`${base}/api/orders/health`)).status).toBe(401);
    expect((await get(`${base}/api/orders/health`, { apikey: apiKey })).status).toBe(200);
  });

  it("counts the rate limit exactly across replicas on different nodes", async () => {
    // all in one minute window (the Redis server's clock, this machine's too)
    const second = new Date().getSeconds();
    if (second > 55) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
    const statuses: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < LIMIT + 4; i++) {
      const id = `rl-${process.pid}-${i}`;
      ids.push(id);
      statuses.push(
        (await get(`${base}/api/users/health`, { "X-Request-ID": id, "X-Client-Id": "e2e" })).status,
      );
    }
    console.log(`swarm figures: rate limit ${LIMIT}/min, ${statuses.length} sent: ${statuses.join(" ")}`);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    // the requests were answered by gateway replicas on more than one node
    const logs = (await stackOk(["logs", "gateway", "--dir", dir, ...engine])).stdout.split("\n");
    const nodes = new Set(
      logs.filter((l) => ids.some((id) => l.includes(id))).map((l) => /@(\S+)/.exec(l)?.[1] ?? ""),
    );
    expect(nodes.size).toBeGreaterThan(1);
  });

  it("stack health reports every layer of the deployment healthy", async () => {
    const r = await stackOk(["health", "--dir", dir, ...engine, "--edge", base, "--json"]);
    const report = JSON.parse(r.stdout) as {
      status: string;
      layers: Array<{ name: string; status: string }>;
    };
    expect(report.status).toBe("healthy");
    expect(report.layers.map((l) => [l.name, l.status])).toEqual([
      ["containers", "ok"],
      ["edge", "ok"],
      ["gateway", "ok"],
      ["services", "ok"],
    ]);
  });

  it("rolls a changed route out under steady load without a failed request", async () => {
    const beforePs = await ps();
    const before = beforePs.configurationHashes[0];
    const appTasks = (p: PsResult) =>
      p.tasks
        .filter((t) => ["users", "orders", "catalog", "redis"].includes(t.service))
        .map((t) => t.id)
        .sort();
    await editStack((doc) => {
      const catalog = serviceIndex(doc, "catalog");
      doc.setIn(["services", catalog, "routes", 0, "paths"], ["/api/catalog", "/api/products"]);
    });
    let stop = false;
    const failures: string[] = [];
    let served = 0;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          try {
            const r = await get(`${base}/api/catalog/health`, {}, 20_000);
            if (r.status === 200) served++;
            else failures.push(`status ${r.status}`);
          } catch (err) {
            failures.push((err as Error).message);
          }
        }
      }),
    );
    try {
      const result = await deploy();
      expect((result.removed as { configs: string[] }).configs.length).toBeGreaterThan(0);
    } finally {
      stop = true;
      await load;
    }
    console.log(`swarm figures: redeploy under load: ${served} served, ${failures.length} failed`);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(50);
    expect((await get(`${base}/api/products/health`)).status).toBe(200);
    const after = await ps();
    // only the gateway rolled: the apps' and Redis' tasks are the same ones
    expect(appTasks(after)).toEqual(appTasks(beforePs));
    expect(after.configurationHashes).toHaveLength(1);
    expect(after.configurationHashes[0]).not.toBe(before);
  });

  it("reschedules a stopped worker's tasks; requests succeed again within 30 s", async () => {
    // the worker running a gateway replica if one does, and whatever else runs there
    const before = (await ps()).tasks;
    const workers = swarm.nodes.slice(1).map((n) => n.name);
    const worker =
      workers.find((w) => before.some((t) => t.node === w && t.service === "gateway")) ??
      workers[workers.length - 1]!;
    const onWorker = [...new Set(before.filter((t) => t.node === worker).map((t) => t.service))];
    expect(onWorker.length).toBeGreaterThan(0); // spread put something there
    await swarm.stopNode(worker);
    const stopped = Date.now();
    // a round: every route, so whatever ran on the worker is in the path
    let n = 0;
    const failures: string[] = [];
    const round = async () => {
      const t = Date.now() - stopped;
      const outcomes = await Promise.all(
        [
          get(`${base}/api/catalog/health`, {}, 5_000),
          get(`${base}/api/orders/health`, { apikey: apiKey }, 5_000),
          get(`${base}/api/users/health`, { "X-Client-Id": `failover-${n++}` }, 5_000),
        ].map((p, i) =>
          p.then(
            (r) => (r.status === 200 ? null : `${t} ms route ${i}: ${r.status} ${r.text.slice(0, 80)}`),
            (err: Error) => `${t} ms route ${i}: ${err.message}`,
          ),
        ),
      );
      for (const o of outcomes) if (o !== null) failures.push(o);
      return outcomes.every((o) => o === null);
    };
    let okStreak = 0;
    while (Date.now() - stopped < 30_000 && okStreak < 10) {
      okStreak = (await round()) ? okStreak + 1 : 0;
      await new Promise((r) => setTimeout(r, 50));
    }
    const servedAgainMs = Date.now() - stopped;
    if (failures.length > 0)
      console.log(
        `swarm failover: ${failures.length} failed, first ${failures[0]}, last ${failures[failures.length - 1]}`,
      );
    expect(okStreak).toBe(10);
    expect(servedAgainMs).toBeLessThan(30_000);
    // the swarm notices the node is gone and runs its tasks elsewhere
    let rescheduledMs = -1;
    while (Date.now() - stopped < 90_000) {
      const p = await ps();
      const live = p.tasks.filter((t) => t.node !== worker && t.state === "running");
      if (
        onWorker.every((svc) => live.filter((t) => t.service === svc).length >= 1) &&
        p.gateways.length === 3
      ) {
        rescheduledMs = Date.now() - stopped;
        break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    console.log(
      `swarm figures: worker ${worker} stopped (it ran ${onWorker.join(", ")}): served again after ${servedAgainMs} ms, its tasks running elsewhere after ${rescheduledMs} ms`,
    );
    expect(rescheduledMs).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) expect(await round()).toBe(true);
  });

  it("shows the logs of every service through the manager", async () => {
    const r = await stackOk(["logs", "gateway", "--dir", dir, ...engine]);
    expect(r.stdout).toMatch(/^gateway\.\d@gse2e-[^ ]+ +\| /m);
    expect(r.stdout).toContain("configuration loaded");
  });

  it("stack down removes the stack, its configs and its secrets", async () => {
    await stackOk(["down", "--dir", dir, ...engine]);
    const manager = swarm.nodes[0]!.name;
    for (const kind of ["service", "config", "secret"]) {
      const left = await swarm.onNode(manager, [
        "docker",
        kind,
        "ls",
        "-q",
        "--filter",
        "label=com.docker.stack.namespace=market",
      ]);
      expect(left, kind).toBe("");
    }
    const p = JSON.parse((await stackOk(["ps", "--dir", dir, ...engine, "--json"])).stdout) as {
      mode: string;
    };
    expect(p.mode).toBe("compose"); // nothing of it left on the swarm
  });
});
