import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ComposeProject } from "../../src/runtime/compose/project.js";
import { apiAtLeast, containerSpec } from "../../src/runtime/container-spec.js";
import { LABEL } from "../../src/runtime/labels.js";
import { projectFrom } from "./fixtures.js";

const YAML = `
services:
  caddy:
    image: caddy:2.8
    ports: ["0.0.0.0:8080:80", "127.0.0.1::443"]
    volumes: ["./config/caddy:/etc/caddy:ro", "caddy_data:/data"]
    networks: [edge]
    restart: unless-stopped
    depends_on: {gateway: {condition: service_healthy}}
  gateway:
    image: gatestack/gateway:0.1.0
    environment: {A: "1"}
    command: ["node", "dist/x.js"]
    networks:
      edge: {}
      backend: {aliases: [gw], priority: 10}
    healthcheck:
      test: ["CMD", "true"]
      interval: 3s
      retries: 5
    stop_grace_period: 1m30s
    deploy: {resources: {limits: {memory: 256m, cpus: "0.5"}}}
    restart: on-failure:3
    tmpfs: ["/tmp:size=64m"]
  worker:
    image: x
    healthcheck: {disable: true}
networks: {edge: {}, backend: {}}
volumes: {caddy_data: {}}
`;

let project: ComposeProject;
let cleanup: () => Promise<void>;
let dir: string;
beforeAll(async () => {
  ({ project, cleanup, dir } = await projectFrom(YAML));
});
afterAll(() => cleanup());

const id = { configHash: "cfg", mountsHash: "mnt", imageId: "sha256:abc" };

describe("containerSpec", () => {
  it("names and labels containers like Compose", () => {
    const spec = containerSpec(project, project.services.caddy!, 2, id);
    expect(spec.name).toBe("demo-caddy-2");
    expect(spec.options.Labels).toMatchObject({
      [LABEL.project]: "demo",
      [LABEL.service]: "caddy",
      [LABEL.containerNumber]: "2",
      [LABEL.configHash]: "cfg",
      [LABEL.oneoff]: "False",
      [LABEL.workingDir]: dir,
      [LABEL.configFiles]: path.join(dir, "compose.yaml"),
      [LABEL.image]: "sha256:abc",
      [LABEL.dependsOn]: "gateway:service_healthy:false",
      [LABEL.mountsHash]: "mnt",
    });
    expect(spec.options.Labels?.[LABEL.version]).toMatch(/^2\.\d+\.\d+\+gatestack\./);
  });

  it("publishes ports, binds host paths and mounts named volumes by their project name", () => {
    const spec = containerSpec(project, project.services.caddy!, 1, id);
    expect(spec.options.HostConfig?.PortBindings).toEqual({
      "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "8080" }],
      "443/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
    });
    expect(spec.options.ExposedPorts).toEqual({ "80/tcp": {}, "443/tcp": {} });
    expect(spec.options.HostConfig?.Binds).toEqual([`${path.join(dir, "config/caddy")}:/etc/caddy:ro`]);
    expect(spec.options.HostConfig?.Mounts).toEqual([
      { Type: "volume", Source: "demo_caddy_data", Target: "/data", ReadOnly: false },
    ]);
    expect(spec.options.HostConfig?.RestartPolicy).toEqual({ Name: "unless-stopped" });
  });

  it("attaches the highest-priority network at create and the rest afterwards, aliased by service name", () => {
    const spec = containerSpec(project, project.services.gateway!, 1, id);
    expect(spec.options.HostConfig?.NetworkMode).toBe("demo_backend");
    expect(spec.options.NetworkingConfig?.EndpointsConfig).toEqual({
      demo_backend: { Aliases: ["gateway", "gw"] },
    });
    expect(spec.extraNetworks).toEqual([{ network: "demo_edge", endpoint: { Aliases: ["gateway"] } }]);
  });

  it("carries healthcheck, limits, command, env, stop timeout and restart policy", () => {
    const o = containerSpec(project, project.services.gateway!, 1, id).options;
    expect(o.Healthcheck).toEqual({ Test: ["CMD", "true"], Interval: 3e9, Retries: 5 });
    expect(o.HostConfig?.Memory).toBe(256 * 1024 * 1024);
    expect(o.HostConfig?.NanoCpus).toBe(5e8);
    expect(o.HostConfig?.RestartPolicy).toEqual({ Name: "on-failure", MaximumRetryCount: 3 });
    expect(o.HostConfig?.Tmpfs).toEqual({ "/tmp": "size=64m" });
    expect(o.Cmd).toEqual(["node", "dist/x.js"]);
    expect(o.Env).toEqual(["A=1"]);
    expect(o.StopTimeout).toBe(90);
  });

  it("disables an image healthcheck on request and defaults to the project's default network", () => {
    const o = containerSpec(project, project.services.worker!, 1, id).options;
    expect(o.Healthcheck).toEqual({ Test: ["NONE"] });
    expect(o.HostConfig?.NetworkMode).toBe("demo_default");
  });
});

describe("engine-dependent fields", () => {
  it("sends start_interval only to engines with API 1.44+", async () => {
    const p = await projectFrom(
      "services:\n  a:\n    image: x\n    healthcheck: {test: [CMD, 'true'], interval: 30s, start_interval: 1s}\n",
    );
    try {
      const svc = p.project.services.a!;
      const old = containerSpec(p.project, svc, 1, id, { apiVersion: "1.41" }).options.Healthcheck as Record<
        string,
        unknown
      >;
      expect(old.StartInterval).toBeUndefined();
      const recent = containerSpec(p.project, svc, 1, id, { apiVersion: "1.45" }).options
        .Healthcheck as Record<string, unknown>;
      expect(recent.StartInterval).toBe(1e9);
      expect(apiAtLeast("2.0", "1.44")).toBe(true);
      expect(apiAtLeast("1.9", "1.44")).toBe(false);
    } finally {
      await p.cleanup();
    }
  });
});
