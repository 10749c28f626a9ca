/**
 * One-shot jobs on a real engine (the shape of database mode: postgres → gateway-migrations →
 * gateways), with a hand-written compose project on the offline images: a job that writes to a
 * volume and exits 0 before its `service_completed_successfully` dependant starts; the next `up`
 * runs it again (as Compose does) and leaves the dependant alone; `ps` and `stack health`'s
 * containers layer treat the exited-0 job as done; a job exiting 3 fails `up` naming it, with its
 * log, and its dependant is never created; `required: false` only warns; `down` removes the job.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatestackError } from "../../../src/errors.js";
import { containerCheck } from "../../../src/health/checks/containers.js";
import { readProjectFacts } from "../../../src/health/docker.js";
import { loadComposeProject } from "../../../src/runtime/compose/project.js";
import { converge } from "../../../src/runtime/converge.js";
import { down } from "../../../src/runtime/down.js";
import { createReporter, type ProgressEvent, silentReporter } from "../../../src/runtime/progress.js";
import { ps, psState } from "../../../src/runtime/ps.js";
import { docker, projectContainers, purgeProject, uniqueProject } from "../support/docker.js";

const DEBIAN = "gatestack-offline/debian:bookworm";

/** db (healthcheck) → migrate (one-shot, appends a line to a volume) → app (reads it, then runs). */
const JOB_PROJECT = `
services:
  db:
    image: redis:7
    command: ["redis-server", "--protected-mode", "no"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "redis-cli", "ping"], interval: 1s, timeout: 2s, retries: 30}
  migrate:
    image: ${DEBIAN}
    restart: "no"
    command: ["sh", "-c", "sleep 1; echo applying 001_init; date +%s%N >> /data/migrations.log; echo migrations done"]
    volumes: ["state:/data"]
    depends_on:
      db: {condition: service_healthy}
  app:
    image: ${DEBIAN}
    restart: unless-stopped
    stop_signal: SIGKILL
    command: ["sh", "-c", "test -s /data/migrations.log || exit 1; exec sleep infinity"]
    volumes: ["state:/data:ro"]
    depends_on:
      migrate: {condition: service_completed_successfully}
volumes:
  state: {}
`;

/**
 * migrate exits 3 with an error on stderr; app must never be created; side runs regardless. With
 * `waiter`, another service is still waiting for a dependency (slow, never healthy) when it fails.
 */
function failingProject(opts: { required: boolean; waiter?: boolean }): string {
  const waiter = `
  slow:
    image: ${DEBIAN}
    stop_signal: SIGKILL
    command: ["sleep", "infinity"]
    healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 300}
  waiter:
    image: ${DEBIAN}
    stop_signal: SIGKILL
    command: ["sleep", "infinity"]
    depends_on:
      slow: {condition: service_healthy}
`;
  return `
services:
  migrate:
    image: ${DEBIAN}
    restart: "no"
    command: ["sh", "-c", "echo applying 002_add_index; echo 'ERROR: relation routes does not exist' >&2; exit 3"]
  app:
    image: ${DEBIAN}
    stop_signal: SIGKILL
    command: ["sleep", "infinity"]
    depends_on:
      migrate: {condition: service_completed_successfully, required: ${opts.required}}
  side:
    image: ${DEBIAN}
    stop_signal: SIGKILL
    command: ["sleep", "infinity"]
${opts.waiter ? waiter : ""}`;
}

let dir: string;
let name: string;
const projects: string[] = [];

async function load(yaml: string, projectName: string) {
  if (!projects.includes(projectName)) projects.push(projectName);
  const sub = path.join(dir, projectName);
  await rm(sub, { recursive: true, force: true });
  await mkdir(sub, { recursive: true });
  await writeFile(path.join(sub, "compose.yaml"), yaml);
  return loadComposeProject({ dir: sub, projectName, processEnv: {} });
}

const inspect = (project: string, service: string) =>
  docker.getContainer(`${project}-${service}-1`).inspect();

async function execOut(container: string, cmd: string[]): Promise<string> {
  const exec = await docker
    .getContainer(container)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  let out = "";
  stream.on("data", (c: Buffer) => {
    out += c.toString("latin1");
  });
  await new Promise((r) => stream.on("end", r));
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "gs-e2e-oneshot-"));
  name = uniqueProject("job");
});

afterAll(async () => {
  for (const p of projects) await purgeProject(p);
  await rm(dir, { recursive: true, force: true });
});

describe("one-shot jobs and depends_on: service_completed_successfully", () => {
  it("runs the job to its exit 0 before starting its dependant, which sees what the job wrote", async () => {
    const events: ProgressEvent[] = [];
    const project = await load(JOB_PROJECT, name);
    const res = await converge(docker, project, {
      reporter: createReporter((e) => events.push(e)),
      timeoutMs: 120_000,
    });
    expect(res.summary).toMatchObject({ create: 3, recreate: 0, start: 0 });
    const [db, job, app] = await Promise.all(["db", "migrate", "app"].map((s) => inspect(name, s)));
    expect(job?.State.Status).toBe("exited");
    expect(job?.State.ExitCode).toBe(0);
    // Ordered by the conditions: the job after db was healthy, app only after the job had exited.
    expect(Date.parse(job?.State.StartedAt ?? "")).toBeGreaterThanOrEqual(
      Date.parse(db?.State.StartedAt ?? ""),
    );
    expect(Date.parse(app?.State.StartedAt ?? "")).toBeGreaterThan(Date.parse(job?.State.FinishedAt ?? ""));
    expect(app?.State.Running).toBe(true);
    expect(app?.RestartCount).toBe(0);
    expect(res.containers.find((c) => c.service === "migrate")?.state).toBe("completed");
    expect(res.containers.find((c) => c.service === "app")?.state).toBe("running");
    expect(await execOut(`${name}-app-1`, ["wc", "-l", "/data/migrations.log"])).toMatch(/\b1 \/data/);
    // The job's own progress line says it completed.
    const jobDone = events.filter(
      (e) => e.type === "task" && e.title === `Container ${name}-migrate-1` && e.status === "done",
    );
    expect(jobDone.map((e) => (e as { detail?: string }).detail)).toEqual(["created, completed (exit 0)"]);
  });

  it("a second up runs the job again (as Compose does) and keeps the dependant", async () => {
    const appBefore = (await inspect(name, "app")).Id;
    const res = await converge(docker, await load(JOB_PROJECT, name), { reporter: silentReporter });
    expect(res.summary).toMatchObject({ create: 0, recreate: 0, start: 1, keep: 2, remove: 0 });
    expect(res.containers.find((c) => c.action === "start")?.service).toBe("migrate");
    expect((await inspect(name, "app")).Id).toBe(appBefore);
    expect((await inspect(name, "migrate")).State.ExitCode).toBe(0);
    expect(await execOut(`${name}-app-1`, ["wc", "-l", "/data/migrations.log"])).toMatch(/\b2 \/data/);
  });

  it("without --wait the dependant still waits for the job, whose progress line ends once", async () => {
    const events: ProgressEvent[] = [];
    const res = await converge(docker, await load(JOB_PROJECT, name), {
      reporter: createReporter((e) => events.push(e)),
      wait: false,
    });
    expect(res.containers.find((c) => c.service === "migrate")?.state).toBe("completed");
    const jobDone = events.filter(
      (e) => e.type === "task" && e.title === `Container ${name}-migrate-1` && e.status === "done",
    );
    expect(jobDone.map((e) => (e as { detail?: string }).detail)).toEqual(["started, completed (exit 0)"]);
    expect(await execOut(`${name}-app-1`, ["wc", "-l", "/data/migrations.log"])).toMatch(/\b3 \/data/);
  });

  it("ps shows the job as exited (0); the health containers layer counts it as completed", async () => {
    const rows = await ps(docker, name);
    const job = rows.find((r) => r.service === "migrate");
    expect(job).toMatchObject({ state: "exited", exitCode: 0 });
    expect(job?.status).toMatch(/^Exited \(0\)/);
    expect(psState(job ?? { state: "" })).toBe("exited (0)");
    expect(rows.filter((r) => r.service !== "migrate").map(psState)).toEqual(["running", "running"]);

    const facts = await readProjectFacts(docker, name);
    const jobFacts = facts.find((f) => f.service === "migrate");
    expect(jobFacts).toMatchObject({ running: false, exitCode: 0, restartPolicy: "no" });
    const check = containerCheck(jobFacts as NonNullable<typeof jobFacts>, 1, new Date(), { job: true });
    expect(check.status).toBe("ok");
    expect(check.detail).toMatch(/^completed \(exit 0\)/);
  });

  it("a job exiting 3 fails up naming the service, its exit code and its log; the dependant is not created (not 'interrupted', though another service was still waiting)", async () => {
    const failing = `${name}-fail`;
    const events: ProgressEvent[] = [];
    const err = await converge(
      docker,
      await load(failingProject({ required: true, waiter: true }), failing),
      {
        reporter: createReporter((e) => events.push(e)),
        timeoutMs: 60_000,
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatestackError);
    const e = err as GatestackError;
    expect(e.message).toBe(
      `service migrate did not complete successfully: ${failing}-migrate-1 exited with code 3; ` +
        "not started: app (depends_on migrate: service_completed_successfully)",
    );
    expect(e.hint).toContain("ERROR: relation routes does not exist");
    expect(e.hint).toContain("applying 002_add_index");
    expect(e.data).toMatchObject({ service: "migrate", exitCode: 3, dependants: ["app"] });
    const names = (await projectContainers(failing)).map((c) => (c.Names[0] ?? "").slice(1));
    expect(names).toContain(`${failing}-migrate-1`);
    expect(names).not.toContain(`${failing}-app-1`);
    // The service still waiting when the job failed was stopped, and says so (not "interrupted").
    expect(names).not.toContain(`${failing}-waiter-1`);
    const waiter = events.filter((ev) => ev.type === "task" && ev.title === `Container ${failing}-waiter-1`);
    expect(waiter.at(-1)).toMatchObject({ status: "failed", detail: "stopped" });
    const failed = events.filter((ev) => ev.type === "task" && ev.status === "failed");
    expect(failed.map((ev) => (ev as { title: string }).title)).toContain(`Container ${failing}-migrate-1`);
  });

  it("with required: false a failed job only warns, and its dependant starts", async () => {
    const optional = `${name}-opt`;
    const events: ProgressEvent[] = [];
    const res = await converge(docker, await load(failingProject({ required: false }), optional), {
      reporter: createReporter((e) => events.push(e)),
      timeoutMs: 60_000,
    });
    expect(res.containers.find((c) => c.service === "app")?.state).toBe("running");
    const warnings = events
      .filter((e) => e.type === "warning")
      .map((e) => (e as { message: string }).message);
    expect(warnings.some((w) => w.startsWith("app: optional dependency migrate failed"))).toBe(true);
    expect((await inspect(optional, "migrate")).State.ExitCode).toBe(3);
  });

  it("down removes the exited job with everything else", async () => {
    const res = await down(docker, name, { reporter: silentReporter, volumes: true });
    expect(res.containers).toContain(`${name}-migrate-1`);
    expect(res.volumes).toContain(`${name}_state`);
    expect(await projectContainers(name)).toEqual([]);
  });
});
