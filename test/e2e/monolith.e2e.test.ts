/**
 * The README quickstart, for real: its first command (minus `npm ci`, already done for the test run)
 * boots the monolith example; then a request goes Client → Caddy → gateway → FastAPI on the published
 * HTTPS port, key-auth is enforced, `stack ps` is all healthy, a second `stack up` recreates nothing
 * and `stack down` leaves no container or network behind.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnvFile } from "../../src/stack/env-file.js";
import { BIN, REPO_ROOT, stackOk, upResult } from "./support/cli.js";
import { docker, projectContainers, projectNetworks, purgeProject, uniqueProject } from "./support/docker.js";
import { freePort, get } from "./support/net.js";

/** The commands of the README's Quickstart block (comments dropped). */
async function quickstartCommands(): Promise<string[]> {
  const readme = await readFile(path.join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Quickstart"));
  const block = /```sh\n([\s\S]*?)```/.exec(section ?? "")?.[1] ?? "";
  return block
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l && !l.startsWith("#"));
}

let work: string;
let dir: string;
let project: string;
let httpsPort: number;
let base: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "gs-e2e-mono-"));
  dir = path.join(work, "demo");
  project = uniqueProject("mono");
  httpsPort = await freePort();
  base = `https://127.0.0.1:${httpsPort}`;
});

afterAll(async () => {
  await purgeProject(project);
  await rm(work, { recursive: true, force: true });
});

describe("monolith quickstart on a real engine", () => {
  it("README quickstart: exactly two commands, install+boot and the tests", async () => {
    const commands = await quickstartCommands();
    expect(commands).toEqual(["npm ci && npm run demo", "npm test"]);
  });

  it("boots the monolith with the quickstart command", async () => {
    const [boot] = await quickstartCommands();
    const afterInstall = (boot as string).replace(/^npm ci && /, "");
    const r = await execa("sh", ["-c", afterInstall], {
      cwd: REPO_ROOT,
      env: {
        DEMO_DIR: dir,
        DEMO_NAME: project,
        DEMO_HTTP_PORT: String(await freePort()),
        DEMO_HTTPS_PORT: String(httpsPort),
        NO_COLOR: "1",
      },
      reject: false,
      timeout: 900_000,
    });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`${project} is up`);
    expect(r.stdout).toContain(`Site  https://localhost:${httpsPort}/`);
    expect(r.stdout).toContain(`Credentials: ${path.join(dir, ".env")}`);
  });

  it("serves the app's JSON through Caddy → gateway → FastAPI with the same X-Request-ID", async () => {
    const rid = `e2e-${randomUUID()}`;
    const res = await get(`${base}/api/items`, { "X-Request-ID": rid });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual([
      { name: "Keyboard", price: 49.0, id: 1 },
      { name: "Mouse", price: 19.5, id: 2 },
    ]);
    expect(res.headers["x-request-id"]).toBe(rid);
    expect(res.headers.via).toMatch(/gatestack/);
    expect(Number(res.headers["x-kong-upstream-latency"])).toBeGreaterThanOrEqual(0);
    // The FastAPI app logged the same id.
    const logs = await stackOk(["logs", "app", "--dir", dir]);
    const line = logs.stdout.split("\n").find((l) => l.includes(rid));
    expect(line).toMatch(new RegExp(`^${project}-app-1 \\| `));
    expect(JSON.parse((line as string).split(" | ")[1] as string)).toMatchObject({
      request_id: rid,
      path: "/items",
      status: 200,
    });
  });

  it("enforces key-auth: 401 without the key, 200 with the key from .env", async () => {
    const denied = await get(`${base}/api/private/whoami`);
    expect(denied.status).toBe(401);
    expect(denied.json()).toMatchObject({ message: "No API key found in request" });
    const env = parseEnvFile(await readFile(path.join(dir, ".env"), "utf8"));
    const key = env.DEMO_API_KEY as string;
    expect(key.length).toBeGreaterThan(16);
    const wrong = await get(`${base}/api/private/whoami`, { apikey: `${key}x` });
    expect(wrong.status).toBe(401);
    const ok = await get(`${base}/api/private/whoami`, { apikey: key });
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ username: "demo" });
  });

  it("stack ps: every container running and healthy", async () => {
    const r = await stackOk(["ps", "--dir", dir, "--json"]);
    const rows = (JSON.parse(r.stdout) as { containers: Array<Record<string, string>> }).containers;
    expect(rows.map((row) => row.service).sort()).toEqual(["app", "caddy", "gateway"]);
    for (const row of rows) expect(row).toMatchObject({ state: "running", health: "healthy" });
    expect(rows.find((row) => row.service === "caddy")?.ports).toContain(`0.0.0.0:${httpsPort}->443/tcp`);
    const table = await stackOk(["ps", "--dir", dir]);
    expect(table.stdout.split("\n")[0]).toMatch(/^SERVICE\s+CONTAINER\s+STATE\s+HEALTH\s+PORTS$/);
  });

  it("a second stack up recreates nothing (same container ids)", async () => {
    const before = (await projectContainers(project)).map((c) => c.Id).sort();
    const r = await stackOk(["up", "--dir", dir, "--json"]);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      events.slice(0, -1).every((e) => e.type === "task" || e.type === "info" || e.type === "warning"),
    ).toBe(true);
    const result = upResult(r.stdout);
    expect(result.summary).toEqual({ create: 0, recreate: 0, start: 0, keep: 3, remove: 0 });
    expect((await projectContainers(project)).map((c) => c.Id).sort()).toEqual(before);
  });

  it("stack down leaves no container or network of the project", async () => {
    const r = await stackOk(["down", "--dir", dir]);
    expect(r.stdout).toContain(`${project} is down`);
    expect(await projectContainers(project)).toEqual([]);
    expect(await projectNetworks(project)).toEqual([]);
  });

  it("Ctrl-C during stack up stops cleanly (exit 130, nothing half-created, all labelled)", async () => {
    const child = execa(process.execPath, [BIN, "up", "--dir", dir, "--json"], {
      reject: false,
      env: { NO_COLOR: "1" },
    });
    let buffered = "";
    let sent = false;
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      // Interrupt as soon as the first container is being created.
      if (!sent && /"id":"container:[^"]+","title":"[^"]+","status":"running"/.test(buffered)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    const r = await child;
    expect(sent).toBe(true);
    expect(r.exitCode).toBe(130);
    const last = JSON.parse(r.stdout.trim().split("\n").at(-1) as string) as {
      type: string;
      error: { code: string; hint: string };
    };
    expect(last).toMatchObject({ type: "result", error: { code: "E_INTERRUPTED" } });
    expect(last.error.hint).toContain("stack down");
    const left = await projectContainers(project);
    expect(left.filter((c) => c.State === "created")).toEqual([]);
    const all = await docker.listContainers({ all: true });
    expect(
      all.filter(
        (c) => (c.Names[0] ?? "").startsWith(`/${project}-`) && !c.Labels["com.docker.compose.project"],
      ),
    ).toEqual([]);
    const down = await stackOk(["down", "--dir", dir, "--volumes", "--rmi", "local", "--json"]);
    const removed = JSON.parse(down.stdout) as { volumes: string[]; images: string[] };
    expect(removed.volumes.sort()).toEqual([`${project}_caddy_config`, `${project}_caddy_data`]);
    expect(removed.images).toEqual([`${project}-app:latest`]);
    expect(await projectContainers(project)).toEqual([]);
    expect((await docker.listImages({ filters: { reference: [`${project}-app`] } })).length).toBe(0);
  });
});
