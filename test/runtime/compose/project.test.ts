// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Compose ${VAR} syntax is the subject under test
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadComposeProject } from "../../../src/runtime/compose/project.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "gs-compose-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const BASE = `
name: demo
services:
  caddy:
    image: caddy:2.8
    ports: ["\${BIND:-127.0.0.1}:\${HTTP_PORT:?set HTTP_PORT}:80"]
    volumes: ["./config/caddy/Caddyfile:/etc/caddy/Caddyfile:ro", "caddy_data:/data"]
    networks: [edge]
    depends_on:
      gateway: {condition: service_healthy}
    restart: unless-stopped
  gateway:
    image: gatestack/gateway:0.1.0
    environment:
      GATEWAY_ADMIN_TOKEN: \${GATEWAY_ADMIN_TOKEN}
      FROM_SHELL:
    networks: [edge, backend]
    deploy: {replicas: 2, resources: {limits: {memory: 256m}}}
    healthcheck:
      test: ["CMD", "node", "-e", "fetch('http://127.0.0.1:8100/status/ready')"]
      interval: 5s
      timeout: 3s
      retries: 10
      start_period: 1m
    depends_on: [app]
  app:
    build:
      context: ./services/app
      args: {PYTHON_IMAGE: python:3.12-slim}
    command: uvicorn main:app --host 0.0.0.0 --port "8000"
    networks: {backend: {aliases: [api]}}
    env_file: [app.env]
  prometheus:
    image: prom/prometheus:v2.53.2
    profiles: [monitoring]
    networks: [backend]
networks:
  edge: {}
  backend: {internal: false}
  unused: {}
volumes:
  caddy_data: {}
`;

async function write(name: string, text: string) {
  await writeFile(path.join(dir, name), text);
}

describe("loadComposeProject", () => {
  it("builds the model with interpolation, defaults, paths and profiles", async () => {
    await write("compose.yaml", BASE);
    await write("app.env", 'LOG_LEVEL=debug\nexport QUOTED="a b"\n');
    const p = await loadComposeProject({
      dir,
      projectName: "ignored",
      dotenv: { HTTP_PORT: "8080", GATEWAY_ADMIN_TOKEN: "from-dotenv", FROM_SHELL: "dotenv" },
      processEnv: { FROM_SHELL: "shell" },
    });
    expect(p.name).toBe("demo");
    expect(Object.keys(p.services).sort()).toEqual(["app", "caddy", "gateway"]);
    expect(p.disabledServices).toEqual({ prometheus: ["monitoring"] });
    const caddy = p.services.caddy!;
    expect(caddy.ports).toEqual([
      { target: 80, published: "8080", host_ip: "127.0.0.1", protocol: "tcp", mode: "ingress" },
    ]);
    expect(caddy.volumes[0]).toMatchObject({
      type: "bind",
      source: path.join(dir, "config/caddy/Caddyfile"),
      read_only: true,
    });
    expect(caddy.dependsOn).toEqual({
      gateway: { condition: "service_healthy", required: true, restart: false },
    });
    const gw = p.services.gateway!;
    expect(gw.replicas).toBe(2);
    expect(gw.memLimit).toBe(256 * 1024 * 1024);
    expect(gw.environment).toEqual({ GATEWAY_ADMIN_TOKEN: "from-dotenv", FROM_SHELL: "shell" });
    expect(gw.healthcheck).toEqual({
      test: ["CMD", "node", "-e", "fetch('http://127.0.0.1:8100/status/ready')"],
      interval: 5e9,
      timeout: 3e9,
      retries: 10,
      startPeriod: 60e9,
    });
    const app = p.services.app!;
    expect(app.image).toBe("demo-app");
    expect(app.build).toEqual({
      context: path.join(dir, "services/app"),
      dockerfile: "Dockerfile",
      args: { PYTHON_IMAGE: "python:3.12-slim" },
      labels: {},
    });
    expect(app.command).toEqual(["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]);
    expect(app.environment).toEqual({ LOG_LEVEL: "debug", QUOTED: "a b" });
    expect(app.networks).toEqual({ backend: { aliases: ["api"], priority: 0 } });
    expect(Object.keys(p.networks).sort()).toEqual(["backend", "edge"]);
    expect(p.networks.edge?.name).toBe("demo_edge");
    expect(p.volumes.caddy_data?.name).toBe("demo_caddy_data");
  });

  it("enables profiled services with --profile (and all)", async () => {
    await write("compose.yaml", BASE);
    await write("app.env", "");
    const env = { dotenv: { HTTP_PORT: "1" }, processEnv: {} };
    const mon = await loadComposeProject({ dir, projectName: "x", profiles: ["monitoring"], ...env });
    expect(mon.services.prometheus).toBeDefined();
    const all = await loadComposeProject({ dir, projectName: "x", profiles: ["all"], ...env });
    expect(all.services.prometheus).toBeDefined();
    const fromEnv = await loadComposeProject({
      dir,
      projectName: "x",
      dotenv: { HTTP_PORT: "1" },
      processEnv: { COMPOSE_PROFILES: "monitoring" },
    });
    expect(fromEnv.services.prometheus).toBeDefined();
  });

  it("merges compose.override.yaml", async () => {
    await write("compose.yaml", BASE);
    await write("app.env", "");
    await write(
      "compose.override.yaml",
      "services:\n  app:\n    environment: {DEBUG: '1'}\n    deploy: {replicas: 3}\n  caddy:\n    ports: !override ['127.0.0.1:9999:80']\n",
    );
    const p = await loadComposeProject({ dir, projectName: "x", dotenv: { HTTP_PORT: "1" }, processEnv: {} });
    expect(p.configFiles.map((f) => path.basename(f))).toEqual(["compose.yaml", "compose.override.yaml"]);
    expect(p.services.app?.replicas).toBe(3);
    expect(p.services.app?.environment.DEBUG).toBe("1");
    expect(p.services.caddy?.ports.map((x) => x.published)).toEqual(["9999"]);
  });

  it("reports required variables, bad references and cycles with the place", async () => {
    await write("compose.yaml", BASE);
    await write("app.env", "");
    await expect(loadComposeProject({ dir, projectName: "x", processEnv: {} })).rejects.toThrow(
      /HTTP_PORT.*set HTTP_PORT/,
    );
    await write(
      "compose.yaml",
      "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n",
    );
    await expect(loadComposeProject({ dir, projectName: "x", processEnv: {} })).rejects.toThrow(/cycle/);
    await write(
      "compose.yaml",
      "services:\n  a: {image: x, depends_on: [p]}\n  p: {image: x, profiles: [ci]}\n",
    );
    await expect(loadComposeProject({ dir, projectName: "x", processEnv: {} })).rejects.toThrow(/profile ci/);
    await write("compose.yaml", "services:\n  a: {image: x, volumes: ['data:/d']}\n");
    await expect(loadComposeProject({ dir, projectName: "x", processEnv: {} })).rejects.toThrow(
      /not declared/,
    );
    await write("compose.yaml", "services:\n  a: {build: {}, networks: [nope]}\n");
    await expect(loadComposeProject({ dir, projectName: "x", processEnv: {} })).rejects.toThrow(
      /undefined network nope/,
    );
  });

  it("puts services without networks on <project>_default and warns about ignored keys", async () => {
    await write("compose.yaml", "services:\n  a: {image: x, secrets: [s]}\n");
    const p = await loadComposeProject({ dir, projectName: "proj", processEnv: {} });
    expect(p.networks.default?.name).toBe("proj_default");
    expect(p.warnings.join("\n")).toMatch(/services\.a\.secrets is not supported/);
  });

  it("reads compose.override.yml too, the first override Compose would pick when several exist", async () => {
    await write("compose.yaml", "services:\n  a: {image: x}\n");
    await write("compose.override.yml", "services:\n  a: {environment: {FROM: yml}}\n");
    const p = await loadComposeProject({ dir, projectName: "x", processEnv: {} });
    expect(p.configFiles.map((f) => path.basename(f))).toEqual(["compose.yaml", "compose.override.yml"]);
    expect(p.services.a?.environment).toEqual({ FROM: "yml" });
    expect(p.warnings).toEqual([]);
    await write("compose.override.yaml", "services:\n  a: {environment: {FROM: yaml}}\n");
    const both = await loadComposeProject({ dir, projectName: "x", processEnv: {} });
    expect(both.services.a?.environment).toEqual({ FROM: "yml" });
    expect(both.warnings.join("\n")).toMatch(/several override files.*reading compose\.override\.yml/);
  });

  it("accepts any profile the files define and *, refuses others naming the defined ones", async () => {
    await write(
      "compose.yaml",
      "services:\n  a: {image: x}\n  dbg: {image: x, profiles: [debug]}\n  tool: {image: x, profiles: [tools, debug]}\n",
    );
    const base = { dir, projectName: "x", processEnv: {} };
    const debug = await loadComposeProject({ ...base, profiles: ["debug"] });
    expect(Object.keys(debug.services).sort()).toEqual(["a", "dbg", "tool"]);
    expect(debug.definedProfiles).toEqual(["debug", "tools"]);
    const tools = await loadComposeProject({ ...base, profiles: ["tools"] });
    expect(Object.keys(tools.services).sort()).toEqual(["a", "tool"]);
    const star = await loadComposeProject({ ...base, profiles: ["*"] });
    expect(Object.keys(star.services).sort()).toEqual(["a", "dbg", "tool"]);
    await expect(loadComposeProject({ ...base, profiles: ["debgu"] })).rejects.toThrow(
      expect.objectContaining({
        code: "E_USAGE",
        message: expect.stringContaining("defined: debug, tools"),
        hint: "did you mean --profile debug?",
      }),
    );
    // a caller asking for addon profiles that may be off (stack deploy): an absent one selects nothing
    const ignoring = await loadComposeProject({
      ...base,
      profiles: ["monitoring", "debug"],
      unknownProfiles: "ignore",
    });
    expect(Object.keys(ignoring.services).sort()).toEqual(["a", "dbg", "tool"]);
  });

  it("a service named on the command line is enabled with its profiles, as Compose does", async () => {
    await write(
      "compose.yaml",
      "services:\n  a: {image: x}\n  job: {image: x, profiles: [ops], depends_on: [helper]}\n  helper: {image: x, profiles: [ops]}\n",
    );
    const p = await loadComposeProject({ dir, projectName: "x", processEnv: {}, enable: ["job"] });
    expect(Object.keys(p.services).sort()).toEqual(["a", "helper", "job"]);
    await expect(
      loadComposeProject({ dir, projectName: "x", processEnv: {}, enable: ["jbo"] }),
    ).rejects.toThrow(
      expect.objectContaining({
        message: "no such service: jbo",
        hint: expect.stringContaining("did you mean job?"),
      }),
    );
  });

  it("env_file values interpolate from the project's variables, then the service's environment", async () => {
    await write(
      "compose.yaml",
      "services:\n  a:\n    image: x\n    environment: {LEVEL: info}\n    env_file: [a.env]\n",
    );
    await write("a.env", "URL=http://${HOST:-localhost}:${PORT}\nMSG=\"at $LEVEL\"\nLIT='${HOST}'\n");
    const p = await loadComposeProject({
      dir,
      projectName: "x",
      dotenv: { PORT: "81" },
      processEnv: { HOST: "h" },
    });
    expect(p.services.a?.environment).toEqual({
      URL: "http://h:81",
      MSG: "at info",
      LIT: "${HOST}",
      LEVEL: "info",
    });
  });
});
