import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv } from "ajv";
import AjvDraft04Module from "ajv-draft-04";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseDeclarativeConfig } from "../../src/gateway/config/load.js";
import { loadPluginRegistry } from "../../src/gateway/plugins/registry.js";
import { renderStack } from "../../src/render/index.js";
import { initStack } from "../../src/stack/init.js";
import { loadStack } from "../../src/stack/load.js";
import type { AddonName, TemplateName } from "../../src/stack/schema.js";
import { tempDir } from "./support.js";

/**
 * The real starters end to end on the file level: `initStack` writes stack.yaml, services/
 * and .env; `loadStack` + `renderStack` generate everything; then each consumer checks its
 * file — Caddy, promtool, the Compose and Kong schemas, the gateway's own loader — with the
 * .env that init wrote, and every `${VAR}` compose.yaml interpolates is defined in that .env.
 */
const conformance = new URL("../conformance/", import.meta.url);
const { $schema: _drop, ...composeSchema } = JSON.parse(
  readFileSync(new URL("compose-spec.schema.json", conformance), "utf8"),
) as Record<string, unknown>;
const validateCompose = new Ajv({ strict: false }).compile(composeSchema);
const validateKong = new AjvDraft04Module.default({ strict: false }).compile(
  JSON.parse(readFileSync(new URL("kong-declarative.schema.json", conformance), "utf8")),
);

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("gatestack-starters-");
});
afterAll(() => work.cleanup());

const cases: Array<[TemplateName, AddonName[]]> = [
  ["monolith", []],
  ["monolith", ["prometheus", "grafana", "elk", "jenkins"]],
  ["microservices", []],
  ["microservices", ["prometheus", "grafana", "elk", "jenkins"]],
];

describe("starters rendered and checked by their consumers", () => {
  for (const [template, addons] of cases) {
    it(`${template} with ${addons.length === 0 ? "no addons" : "all addons"}`, async () => {
      const dir = join(work.dir, `${template}-${addons.length}`);
      await initStack({
        dir,
        force: false,
        template,
        name: "demo",
        domain: "localhost",
        https: "auto",
        httpPort: 8080,
        httpsPort: 8443,
        addons,
      });
      const loaded = await loadStack(dir);
      const report = await renderStack(loaded);
      expect(report.files.length).toBeGreaterThanOrEqual(addons.length === 0 ? 3 : 14);
      const read = (p: string) => readFile(join(dir, p), "utf8");

      // compose.yaml: schema-valid, and every interpolated variable is in .env.
      const composeText = await read("compose.yaml");
      expect(validateCompose(parse(composeText)), JSON.stringify(validateCompose.errors)).toBe(true);
      const needed = [...new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!))];
      const casc = addons.includes("jenkins") ? await read("config/jenkins/casc.yaml") : "";
      needed.push(...[...casc.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!));
      for (const name of needed) expect(loaded.env[name], `${name} missing from .env`).toBeTruthy();

      // gateway.yaml: Kong's schema, and the gateway loads it with the .env values.
      const gatewayText = await read("config/gateway/gateway.yaml");
      expect(validateKong(parse(gatewayText)), JSON.stringify(validateKong.errors)).toBe(true);
      const registry = await loadPluginRegistry();
      const loadedConfig = parseDeclarativeConfig(gatewayText, {
        env: loaded.env,
        plugins: (n) => registry.get(n),
      });
      expect(loadedConfig.ok, JSON.stringify(loadedConfig.ok ? "" : loadedConfig.error)).toBe(true);

      // Caddyfile: caddy validate with the .env values Caddy gets.
      const caddy = await execa(
        "caddy",
        ["validate", "--adapter", "caddyfile", "--config", join(dir, "config/caddy/Caddyfile")],
        { reject: false, env: { ...loaded.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } },
      );
      expect(caddy.exitCode, caddy.stderr).toBe(0);

      if (addons.includes("prometheus")) {
        const prom = await execa(
          "promtool",
          ["check", "config", join(dir, "config/prometheus/prometheus.yml")],
          {
            reject: false,
          },
        );
        expect(prom.exitCode, prom.stderr).toBe(0);
      }

      // No .env value in any generated file.
      for (const file of report.files) {
        const content = await read(file.path);
        for (const [name, value] of Object.entries(loaded.env)) {
          if (value.length >= 8) expect(content, `${name} in ${file.path}`).not.toContain(value);
        }
      }

      // The render is idempotent on the real starters too.
      expect((await renderStack(loaded)).changed).toBe(false);
    });
  }
});
