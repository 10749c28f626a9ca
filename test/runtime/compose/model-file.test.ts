import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { composeModelFile, formatDuration } from "../../../src/runtime/compose/model-file.js";
import { type ComposeProject, loadComposeProject } from "../../../src/runtime/compose/project.js";
import { MASK, maskSecrets } from "../../../src/runtime/stack-compose.js";

const COMPOSE = `
name: demo
services:
  web:
    image: nginx:1
    command: nginx -g "daemon off;"
    environment: [B=2, A=1]
    ports: ["127.0.0.1:8080:80", "9000"]
    volumes: ["./html:/usr/share/nginx/html:ro", "data:/data"]
    depends_on:
      db: {condition: service_healthy, restart: true}
    healthcheck: {test: ["CMD", "true"], interval: 1m30s, timeout: 500ms, retries: 3}
    stop_grace_period: 1m
    deploy: {replicas: 2, resources: {limits: {memory: 512m, cpus: "0.5"}}}
    networks: {front: {aliases: [www]}, back: {}}
    ulimits: {nofile: 1024}
    logging: {driver: json-file, options: {max-size: 10m}}
  db:
    image: postgres:16
    healthcheck: {disable: true}
    networks: [back]
    profiles: [data]
networks: {front: {}, back: {internal: true}}
volumes: {data: {}}
`;

let dir: string;
let project: ComposeProject;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "gs-model-file-"));
  await writeFile(path.join(dir, "compose.yaml"), COMPOSE);
  project = await loadComposeProject({ dir, projectName: "x", processEnv: {}, profiles: ["*"] });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("composeModelFile (stack config)", () => {
  it("formats durations as Go does", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(90e9)).toBe("1m30s");
    expect(formatDuration(5e8)).toBe("500ms");
    expect(formatDuration(3600e9 + 1e9)).toBe("1h0m1s");
    expect(formatDuration(1.5e9)).toBe("1.5s");
    expect(formatDuration(60e9)).toBe("1m0s");
  });

  it("writes the resolved model with long forms, defaults and absolute paths, sorted", () => {
    const file = composeModelFile(project) as {
      services: Record<string, Record<string, unknown>>;
      networks: Record<string, unknown>;
    };
    expect(Object.keys(file.services)).toEqual(["db", "web"]);
    const web = file.services.web as Record<string, unknown>;
    expect(web.command).toEqual(["nginx", "-g", "daemon off;"]);
    expect(web.environment).toEqual({ A: "1", B: "2" });
    expect(Object.keys(web.environment as object)).toEqual(["A", "B"]);
    expect(web.depends_on).toEqual({ db: { condition: "service_healthy", required: true, restart: true } });
    expect(web.healthcheck).toEqual({
      test: ["CMD", "true"],
      interval: "1m30s",
      timeout: "500ms",
      retries: 3,
    });
    expect(web.stop_grace_period).toBe("1m0s");
    expect(web.mem_limit).toBe(512 * 1024 * 1024);
    expect(web.cpus).toBe(0.5);
    expect(web.deploy).toEqual({ replicas: 2 });
    expect(web.restart).toBe("no");
    expect((web.volumes as Array<Record<string, unknown>>)[0]).toMatchObject({
      type: "bind",
      source: path.join(dir, "html"),
      target: "/usr/share/nginx/html",
      read_only: true,
    });
    expect(file.services.db?.healthcheck).toEqual({ disable: true });
    expect(file.networks).toEqual({
      back: { name: "demo_back", internal: true },
      front: { name: "demo_front" },
    });
  });

  it("reads back as the same model (the printed file is a compose file stack up runs alike)", async () => {
    const again = await mkdtemp(path.join(tmpdir(), "gs-model-file-again-"));
    try {
      await writeFile(path.join(again, "compose.yaml"), stringify(composeModelFile(project)));
      const reread = await loadComposeProject({
        dir: again,
        projectName: "x",
        processEnv: {},
        profiles: ["*"],
      });
      expect(composeModelFile(reread)).toEqual(composeModelFile(project));
      expect(reread.services.web).toEqual(project.services.web);
    } finally {
      await rm(again, { recursive: true, force: true });
    }
  });

  it("masks secret values wherever they occur", () => {
    const masked = maskSecrets({ a: "token=s3cr3t-value;", b: ["s3cr3t-value"], c: 1 }, ["s3cr3t-value"]);
    expect(masked).toEqual({ a: `token=${MASK};`, b: [MASK], c: 1 });
  });
});
