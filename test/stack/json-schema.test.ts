import { readFile } from "node:fs/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { allowedKeysAt, stackJsonSchema, stackJsonSchemaText } from "../../src/stack/json-schema.js";
import { STACK_SCHEMA_PATH } from "../../src/stack/package-paths.js";
import {
  normalizeMarkdownTable,
  REFERENCE_END,
  REFERENCE_START,
  renderStackReferenceBlock,
} from "../../src/stack/reference.js";
import { serializeStackYaml } from "../../src/stack/stack-yaml.js";
import { starterStack } from "../../src/stack/starters.js";

const README = new URL("../../README.md", import.meta.url);

describe("published JSON Schema", () => {
  it("schema/stack.schema.json is what the zod model generates (run `npm run schema`)", async () => {
    expect(await readFile(STACK_SCHEMA_PATH, "utf8")).toBe(stackJsonSchemaText());
  });

  it("README's stack.yaml reference is generated from the same schema (run `npm run schema`)", async () => {
    const readme = await readFile(README, "utf8");
    const start = readme.indexOf(REFERENCE_START);
    const end = readme.indexOf(REFERENCE_END);
    expect(start).toBeGreaterThan(0);
    // Compared cell by cell, so a Markdown formatter padding the table does not matter.
    expect(normalizeMarkdownTable(readme.slice(start, end + REFERENCE_END.length))).toBe(
      normalizeMarkdownTable(renderStackReferenceBlock()),
    );
  });

  it("documents every field", () => {
    const block = renderStackReferenceBlock();
    for (const key of [
      "name",
      "services[].routes[].upstream_path",
      "consumers[].credentials.key-auth[].key_env",
    ]) {
      expect(block).toContain(`| \`${key}\` |`);
    }
    const undocumented = block.split("\n").filter((l) => l.startsWith("| `") && l.trimEnd().endsWith("|  |"));
    expect(undocumented).toEqual([]);
  });

  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(stackJsonSchema());

  it("accepts what `stack init` writes, for both templates with every addon", () => {
    for (const template of ["monolith", "microservices"] as const) {
      const input = starterStack({
        template,
        name: "demo",
        domain: "localhost",
        https: "auto",
        httpPort: 80,
        httpsPort: 443,
        addons: ["prometheus", "grafana", "elk", "jenkins"],
      });
      const text = serializeStackYaml(input, { schemaRef: "x.json" });
      expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it("lets editors flag unknown keys, unknown plugins and bad domains", () => {
    const base = {
      name: "demo",
      template: "monolith",
      services: [{ name: "app", routes: [{ name: "api", paths: ["/api"] }] }],
    };
    expect(validate(base)).toBe(true);
    expect(validate({ ...base, nmae: "x" })).toBe(false);
    expect(validate({ ...base, domain: "https://example.com" })).toBe(false);
    const badPlugin = structuredClone(base) as { services: { plugins?: unknown[] }[] };
    badPlugin.services[0]!.plugins = [{ name: "key-atuh" }];
    expect(validate(badPlugin)).toBe(false);
  });

  it("knows the allowed keys at each level (for did-you-mean)", () => {
    expect(allowedKeysAt(["services", 0, "routes", 0])).toContain("strip_path");
    expect(allowedKeysAt(["addons", "grafana"])).toEqual(["enabled", "port"]);
    expect(allowedKeysAt(["services", 0, "env"])).toEqual([]);
  });
});
