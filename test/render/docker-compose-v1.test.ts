import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COMPOSE_PATH } from "../../src/render/compose.js";
import type { ComposeFile } from "../../src/render/compose-model.js";
import { renderStack } from "../../src/render/index.js";
import { serviceSource } from "../../src/render/topology.js";
import type { StackConfig } from "../../src/stack/schema.js";
import { microservicesStack, monolithStack, stackMatrix } from "./fixtures.js";
import { healthTest, mapLimit, tempDir } from "./support.js";

/**
 * The rendered compose.yaml read by a real Compose: Debian bookworm's `docker-compose` 1.29.2 (Compose
 * v1, Python — the only Compose that distribution packages; `.ci/run` installs it). It parses YAML with
 * PyYAML (YAML 1.1) and checks the file against its own copy of the Compose schema, so this covers the
 * YAML a 1.1 reader sees, every key it knows, interpolation and the build contexts it resolves.
 *
 * Not covered: Compose v2 (`docker compose`, not installable here) — the Compose Specification schema
 * test and the healthcheck API-version test in compose.test.ts stand in for it; and two keys Compose v1
 * predates, which the test works around: the top-level `name` (removed, given as `-p` instead) and
 * Jenkins' `bind.create_host_path` (stacks with Jenkins are left out). Nothing is started (`config` only).
 */
const PROFILES = ["--profile", "monitoring", "--profile", "logging"];

const stacks: Array<{ label: string; stack: StackConfig }> = [
  ...stackMatrix().filter(({ stack }) => !stack.addons.jenkins.enabled),
  {
    label: "monolith, every addon but jenkins",
    stack: monolithStack({}, { prometheus: true, grafana: true, elk: true }),
  },
  {
    label: "monolith, gateway.database postgres",
    stack: monolithStack({ gateway: { database: "postgres" } }),
  },
  {
    label: "microservices, kong engine, gateway.database postgres",
    stack: microservicesStack({ gateway: { engine: "kong", replicas: 2, database: "postgres" } }),
  },
  {
    label: "microservices, kong engine, every addon but jenkins",
    stack: microservicesStack(
      { gateway: { engine: "kong" } },
      { prometheus: true, grafana: true, elk: true },
    ),
  },
];

interface Outcome {
  label: string;
  stack: StackConfig;
  dir: string;
  exitCode: number | undefined;
  stderr: string;
  resolved: ComposeFile | undefined;
}

let work: { dir: string; cleanup: () => Promise<void> };
let outcomes: Outcome[] = [];

beforeAll(async () => {
  work = await tempDir("gatestack-compose-v1-");
  outcomes = await mapLimit(stacks, 2, async (entry) => {
    const { label, stack } = entry;
    const dir = join(work.dir, String(stacks.indexOf(entry)));
    // The apps' build contexts are the user's folders (stack init writes them): present, as in a stack.
    for (const app of stack.services) await mkdir(join(dir, serviceSource(app)), { recursive: true });
    await renderStack({ dir, config: stack });
    const text = await readFile(join(dir, COMPOSE_PATH), "utf8");
    const withoutName = text.replace(/^name: .*\n/m, "");
    expect(withoutName).not.toBe(text);
    await writeFile(join(dir, "compose.v1.yaml"), withoutName);
    const r = await execa(
      "docker-compose",
      ["-p", stack.name, "-f", "compose.v1.yaml", ...PROFILES, "config"],
      { cwd: dir, reject: false, env: { COMPOSE_INTERACTIVE_NO_CLI: "1" } },
    );
    return {
      label,
      stack,
      dir,
      exitCode: r.exitCode,
      stderr: r.stderr,
      resolved: r.exitCode === 0 ? (parse(r.stdout) as ComposeFile) : undefined,
    };
  });
}, 120_000);
afterAll(() => work.cleanup());

describe("compose.yaml read by docker-compose 1.29 (Compose v1, PyYAML)", () => {
  for (const { label } of stacks) {
    it(`is accepted: ${label}`, () => {
      const outcome = outcomes.find((o) => o.label === label)!;
      expect(outcome.stderr).not.toMatch(/invalid|ParserError|unsupported/i);
      expect(outcome.exitCode, outcome.stderr).toBe(0);
      const services = outcome.resolved!.services;
      expect(Object.keys(services)).toEqual(expect.arrayContaining(["caddy", "gateway"]));
      for (const app of outcome.stack.services) expect(services).toHaveProperty(app.name);
    });
  }

  it("builds gatestack's gateway from the context stack render wrote into the stack folder", () => {
    const outcome = outcomes.find((o) => o.stack.gateway.engine === "gatestack")!;
    const gateway = outcome.resolved!.services.gateway!;
    expect(gateway.image).toBe("gatestack/gateway:0.1.0");
    expect(gateway.build?.context).toBe(join(outcome.dir, ".gatestack", "gateway"));
  });

  it('reads database mode\'s one-shot job as one: restart the string "no", the gateways waiting for it to exit 0', () => {
    for (const outcome of outcomes.filter((o) => o.stack.gateway.database === "postgres")) {
      const services = outcome.resolved!.services;
      const job = services["gateway-migrations"]!;
      // YAML 1.1 reads a bare no as false: the file must quote it
      expect(job.restart, outcome.label).toBe("no");
      expect(job.depends_on, outcome.label).toEqual({ postgres: { condition: "service_healthy" } });
      expect(services.gateway!.depends_on!["gateway-migrations"], outcome.label).toEqual({
        condition: "service_completed_successfully",
      });
      expect(services.postgres!.volumes!.map(String).join(" "), outcome.label).toContain(
        "/var/lib/postgresql/data",
      );
    }
    expect(outcomes.filter((o) => o.stack.gateway.database === "postgres")).toHaveLength(2);
  });

  it("reads healthcheck commands with '?' in a URL as one argument (quoted for YAML 1.1)", () => {
    const outcome = outcomes.find((o) => o.stack.addons.elk.enabled && o.exitCode === 0)!;
    expect(healthTest(outcome.resolved!.services.elasticsearch!)).toEqual([
      "CMD",
      "curl",
      "-fsS",
      "-o",
      "/dev/null",
      "http://127.0.0.1:9200/_cluster/health?wait_for_status=yellow&timeout=5s",
    ]);
  });
});
