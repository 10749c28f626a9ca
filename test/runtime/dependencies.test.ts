import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ComposeProject } from "../../src/runtime/compose/project.js";
import {
  awaitingCompletion,
  dependencyGoal,
  exitCodeFromStatus,
  finalWaitGoal,
  isCompletedOneShot,
  isOneShotPolicy,
  scopeProject,
  startOrder,
  stateWithExitCode,
  withDependencies,
  withRestartDependents,
} from "../../src/runtime/dependencies.js";
import { psState } from "../../src/runtime/ps.js";
import { actionOrder } from "../../src/runtime/services.js";
import { projectFrom } from "./fixtures.js";

/** The database-mode layout: postgres → one-shot migrations → gateways (+ a worker on the job too). */
const DATABASE_MODE = `
services:
  postgres:
    image: postgres:16
    healthcheck: {test: ["CMD-SHELL", "pg_isready -U kong"], interval: 1s}
  gateway-migrations:
    image: gatestack/gateway
    command: ["stack", "gateway", "migrations", "bootstrap"]
    restart: "no"
    depends_on:
      postgres: {condition: service_healthy}
  gateway:
    image: gatestack/gateway
    restart: unless-stopped
    depends_on:
      gateway-migrations: {condition: service_completed_successfully}
      redis: {condition: service_started}
  worker:
    image: gatestack/gateway
    depends_on:
      gateway-migrations: {condition: service_completed_successfully}
  redis:
    image: redis:7
  caddy:
    image: caddy:2
    depends_on: [gateway]
`;

describe("depends_on semantics", () => {
  let project: ComposeProject;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ project, cleanup } = await projectFrom(DATABASE_MODE));
  });
  afterAll(() => cleanup());

  it("up SERVICE: the service and what it depends on, transitively (all when none named)", () => {
    expect(withDependencies(project, ["caddy"])).toEqual([
      "caddy",
      "gateway",
      "gateway-migrations",
      "postgres",
      "redis",
    ]);
    expect(withDependencies(project, ["redis", "worker"])).toEqual([
      "gateway-migrations",
      "postgres",
      "redis",
      "worker",
    ]);
    expect(withDependencies(project, [])).toHaveLength(6);
  });

  it("scopes the project to a selection: its services and the networks they use", () => {
    const scoped = scopeProject(project, ["redis"]);
    expect(Object.keys(scoped.services)).toEqual(["redis"]);
    expect(Object.keys(scoped.networks)).toEqual(["default"]);
    expect(startOrder(scoped)).toEqual(["redis"]);
    expect(Object.keys(project.services)).toHaveLength(6);
  });

  it("maps each condition to what the dependant waits for", () => {
    expect(dependencyGoal("service_started")).toBe("running");
    expect(dependencyGoal("service_healthy")).toBe("healthy");
    expect(dependencyGoal("service_completed_successfully")).toBe("completed");
  });

  it("reads the short form as service_started and the long form's condition as written", () => {
    expect(project.services.caddy?.dependsOn.gateway?.condition).toBe("service_started");
    expect(project.services.gateway?.dependsOn["gateway-migrations"]).toEqual({
      condition: "service_completed_successfully",
      required: true,
      restart: false,
    });
  });

  it("orders postgres before the migrations job, the job before every gateway, the gateway before caddy", () => {
    const order = startOrder(project);
    const at = (s: string) => order.indexOf(s);
    expect(order).toHaveLength(6);
    expect(at("postgres")).toBeLessThan(at("gateway-migrations"));
    expect(at("gateway-migrations")).toBeLessThan(at("gateway"));
    expect(at("gateway-migrations")).toBeLessThan(at("worker"));
    expect(at("redis")).toBeLessThan(at("gateway"));
    expect(at("gateway")).toBeLessThan(at("caddy"));
  });

  it("breaks ties by name, dependencies first", () => {
    expect(startOrder(project)).toEqual([
      "postgres",
      "gateway-migrations",
      "redis",
      "gateway",
      "caddy",
      "worker",
    ]);
  });

  it("names the services waiting for a job to complete, and only for that condition", () => {
    expect(awaitingCompletion(project, "gateway-migrations")).toEqual(["gateway", "worker"]);
    expect(awaitingCompletion(project, "postgres")).toEqual([]);
    expect(awaitingCompletion(project, "redis")).toEqual([]);
  });

  it("the final wait waits for a job others depend on to complete, for the rest to be ready", () => {
    expect(finalWaitGoal(project, "gateway-migrations")).toBe("completed");
    expect(finalWaitGoal(project, "postgres")).toBe("ready");
    expect(finalWaitGoal(project, "gateway")).toBe("ready");
  });
});

describe("one-shot containers", () => {
  it("a container that exited 0 under restart no/on-failure (or none) completed", () => {
    for (const restartPolicy of ["no", "", "on-failure", undefined]) {
      expect(isCompletedOneShot({ state: "exited", exitCode: 0, restartPolicy })).toBe(true);
    }
  });

  it("a non-zero exit, a running container, or a restart-always policy is not a completed job", () => {
    expect(isCompletedOneShot({ state: "exited", exitCode: 3, restartPolicy: "no" })).toBe(false);
    expect(isCompletedOneShot({ state: "running", exitCode: 0, restartPolicy: "no" })).toBe(false);
    expect(isCompletedOneShot({ state: "exited", exitCode: 0, restartPolicy: "always" })).toBe(false);
    expect(isCompletedOneShot({ state: "exited", exitCode: 0, restartPolicy: "unless-stopped" })).toBe(false);
    expect(isOneShotPolicy("always")).toBe(false);
  });

  it("reads the exit code from the engine's status text", () => {
    expect(exitCodeFromStatus("Exited (0) 3 seconds ago")).toBe(0);
    expect(exitCodeFromStatus("Exited (137) About a minute ago")).toBe(137);
    expect(exitCodeFromStatus("Up 2 minutes (healthy)")).toBeUndefined();
    expect(exitCodeFromStatus("Created")).toBeUndefined();
  });

  it("ps shows an exited container with its exit code, others by state", () => {
    expect(stateWithExitCode("exited", 0)).toBe("exited (0)");
    expect(psState({ state: "exited", exitCode: 3 })).toBe("exited (3)");
    expect(psState({ state: "running" })).toBe("running");
    expect(psState({ state: "exited" })).toBe("exited");
  });
});

describe("restart SERVICE: dependents with restart: true follow", () => {
  it("adds the services that depend on a restarted one with restart: true, transitively", async () => {
    const { project, cleanup } = await projectFrom(`
services:
  db: {image: x}
  api: {image: x, depends_on: {db: {condition: service_started, restart: true}}}
  web: {image: x, depends_on: {api: {condition: service_started, restart: true}}}
  report: {image: x, depends_on: [db]}
`);
    try {
      expect(withRestartDependents(project, ["db"])).toEqual(["api", "db", "web"]);
      expect(withRestartDependents(project, ["api"])).toEqual(["api", "web"]);
      expect(withRestartDependents(project, ["report"])).toEqual(["report"]);
      expect(withRestartDependents(project, [])).toEqual(["api", "db", "report", "web"]);
    } finally {
      await cleanup();
    }
  });
});

describe("stop, start and restart order (as docker compose stop|start|restart)", () => {
  it("stop goes dependants first; start adds dependencies; restart adds restart: true dependants", async () => {
    const { project, cleanup } = await projectFrom(`
services:
  db: {image: x}
  api: {image: x, depends_on: {db: {condition: service_healthy, restart: true}}}
  web: {image: x, depends_on: [api]}
`);
    try {
      expect(actionOrder(project, "stop", [])).toEqual(["web", "api", "db"]);
      expect(actionOrder(project, "stop", ["db", "web"])).toEqual(["web", "db"]);
      expect(actionOrder(project, "start", ["web"])).toEqual(["db", "api", "web"]);
      expect(actionOrder(project, "restart", ["db"])).toEqual(["db", "api"]);
      expect(actionOrder(project, "restart", ["db"], true)).toEqual(["db"]);
      expect(actionOrder(project, "restart", [])).toEqual(["db", "api", "web"]);
    } finally {
      await cleanup();
    }
  });
});
