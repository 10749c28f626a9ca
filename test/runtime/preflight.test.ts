import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ComposeProject } from "../../src/runtime/compose/project.js";
import { memoryError, memoryNeeds, portConflictError, publishedPorts } from "../../src/runtime/preflight.js";
import { projectFrom } from "./fixtures.js";

let project: ComposeProject;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ project, cleanup } = await projectFrom(
    `services:
  caddy: {image: c, ports: ["0.0.0.0:8080:80", "127.0.0.1:8443:443", "9000-9001:90", "53:53/udp", "3000"]}
  app: {image: a}
  es: {image: e, profiles: [logging]}
  kibana: {image: k, profiles: [logging]}
  jenkins: {image: j, profiles: [ci]}
`,
    {},
    { profiles: ["all"] },
  ));
});
afterAll(() => cleanup());

describe("preflight", () => {
  it("checks the fixed TCP host ports only (not ranges, UDP or engine-chosen ports)", () => {
    expect(publishedPorts(project)).toEqual([
      { service: "caddy", hostIp: "0.0.0.0", port: 8080 },
      { service: "caddy", hostIp: "127.0.0.1", port: 8443 },
    ]);
  });

  it("counts memory for the parts that are not running yet", () => {
    expect(memoryNeeds(project, new Set())).toEqual([
      { part: "base", mb: 512 },
      { part: "logging", mb: 1536 },
      { part: "ci", mb: 1024 },
    ]);
    expect(memoryNeeds(project, new Set(["caddy", "app", "es", "kibana"]))).toEqual([
      { part: "ci", mb: 1024 },
    ]);
  });

  it("says what to do when memory is short, naming the heaviest profile", () => {
    const err = memoryError({
      requiredMb: 2048,
      availableMb: 1024,
      parts: memoryNeeds(project, new Set(["jenkins"])),
    });
    expect(err.code).toBe("E_PREFLIGHT");
    expect(err.message).toMatch(
      /needs ~2\.0 GB .*ELK \(Elasticsearch, Logstash, Kibana\) ~1\.5 GB.*~1\.0 GB is available/,
    );
    expect(err.hint).toContain("--profile logging");
  });

  it("names the holder of a busy port and how to free it", () => {
    const err = portConflictError([
      { service: "caddy", hostIp: "0.0.0.0", port: 80, holder: "pid 42 (nginx: master)", pid: 42 },
    ]);
    expect(err.code).toBe("E_PORT_BUSY");
    expect(err.message).toBe("host port is in use: 0.0.0.0:80 (caddy) is held by pid 42 (nginx: master)");
    expect(err.hint).toMatch(/kill 42.*ports\.http/);
  });
});
