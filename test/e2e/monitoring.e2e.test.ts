/**
 * The monitoring profile with the Prometheus stand-in (Grafana has no Debian package, so no stand-in):
 * `stack up --profile monitoring` boots Prometheus beside the stack, reachable under /prometheus behind
 * Caddy's basic auth; an `up` without the profile leaves it running and says so; `down` removes it.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnvFile } from "../../src/stack/env-file.js";
import { initStack, stackOk, upResult } from "./support/cli.js";
import { projectContainers, purgeProject, uniqueProject } from "./support/docker.js";
import { eventually, freePort, get } from "./support/net.js";

let work: string;
let dir: string;
let project: string;
let base: string;
let auth: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "gs-e2e-mon-"));
  dir = path.join(work, "mon");
  project = uniqueProject("mon");
  const httpsPort = await freePort();
  base = `https://127.0.0.1:${httpsPort}`;
  await initStack(dir, "monolith", project, { http: await freePort(), https: httpsPort }, [
    "--with",
    "prometheus",
  ]);
  const env = parseEnvFile(await readFile(path.join(dir, ".env"), "utf8"));
  auth = `Basic ${Buffer.from(`${env.TOOLS_BASICAUTH_USER}:${env.TOOLS_BASICAUTH_PASSWORD}`).toString("base64")}`;
});

afterAll(async () => {
  await purgeProject(project);
  await rm(work, { recursive: true, force: true });
});

describe("monitoring profile on a real engine", () => {
  it("up --profile monitoring starts Prometheus and prints its URL", async () => {
    const r = await stackOk(["up", "--dir", dir, "--profile", "monitoring"]);
    expect(r.stdout).toMatch(new RegExp(`Prometheus\\s+https://localhost:${new URL(base).port}/prometheus/`));
    const services = (await projectContainers(project))
      .map((c) => c.Labels["com.docker.compose.service"])
      .sort();
    expect(services).toEqual(["app", "caddy", "gateway", "prometheus"]);
  });

  it("serves Prometheus under /prometheus behind basic auth, scraping the gateway", async () => {
    expect((await get(`${base}/prometheus/-/ready`)).status).toBe(401);
    const ready = await get(`${base}/prometheus/-/ready`, { authorization: auth });
    expect(ready.status).toBe(200);
    const jobs = await eventually(
      async () => {
        const res = await get(`${base}/prometheus/api/v1/targets`, { authorization: auth });
        const body = res.json<{
          data: { activeTargets: Array<{ labels: { job: string }; health: string }> };
        }>();
        const up = body.data.activeTargets.filter((t) => t.health === "up").map((t) => t.labels.job);
        return up.includes("gateway") ? up : undefined;
      },
      60_000,
      1000,
    );
    expect(jobs).toContain("gateway");
  });

  it("up without the profile leaves Prometheus running and says so", async () => {
    const r = await stackOk(["up", "--dir", dir]);
    expect(r.stdout).toContain("Addons of profile monitoring keep running from an earlier up");
    const json = upResult((await stackOk(["up", "--dir", dir, "--json"])).stdout);
    expect(json.profilesLeftRunning).toEqual(["monitoring"]);
    const prom = (await projectContainers(project)).find(
      (c) => c.Labels["com.docker.compose.service"] === "prometheus",
    );
    expect(prom?.State).toBe("running");
  });

  it("down removes Prometheus with the rest", async () => {
    await stackOk(["down", "--dir", dir, "--volumes"]);
    expect(await projectContainers(project)).toEqual([]);
  });
});
