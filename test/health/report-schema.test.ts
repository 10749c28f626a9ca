import { readFile, writeFile } from "node:fs/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { healthReportJsonSchema, healthReportSchema } from "../../src/health/report.js";
import { sampleReport } from "./support/sample-report.js";

const SCHEMA_FILE = new URL("../../schema/health-report.schema.json", import.meta.url);

describe("published health report schema", () => {
  it("schema/health-report.schema.json is generated from src/health/report.ts", async () => {
    const generated = `${JSON.stringify(healthReportJsonSchema(), null, 2)}\n`;
    if (process.env.GATESTACK_UPDATE_SCHEMAS === "1") await writeFile(SCHEMA_FILE, generated);
    expect(await readFile(SCHEMA_FILE, "utf8")).toBe(generated);
  });

  it("reports validate against the published file (ajv, draft 2020-12)", async () => {
    const schema = JSON.parse(await readFile(SCHEMA_FILE, "utf8")) as object;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    for (const report of [
      sampleReport(),
      sampleReport({ trace: null, status: "down", exitCode: 2 }),
      sampleReport({ layers: [], status: "healthy", exitCode: 0 }),
    ]) {
      expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it("rejects what the contract forbids: unknown status, exit code 3, a missing field", async () => {
    const schema = JSON.parse(await readFile(SCHEMA_FILE, "utf8")) as object;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    expect(validate({ ...sampleReport(), status: "ok" })).toBe(false);
    expect(validate({ ...sampleReport(), exitCode: 3 })).toBe(false);
    const { generatedAt: _omit, ...missing } = sampleReport();
    expect(validate(missing)).toBe(false);
    expect(healthReportSchema.safeParse(sampleReport()).success).toBe(true);
  });
});
