import { readFile, writeFile } from "node:fs/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import {
  type DoctorReport,
  doctorReportJsonSchema,
  doctorReportSchema,
} from "../../../src/health/doctor/report.js";

const SCHEMA_FILE = new URL("../../../schema/doctor-report.schema.json", import.meta.url);

const sample = (): DoctorReport => ({
  schemaVersion: 1,
  stack: "shop",
  status: "warn",
  exitCode: 1,
  generatedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 120,
  engine: {
    host: "unix:///var/run/docker.sock",
    version: "20.10.24",
    apiVersion: "1.41",
    os: "linux",
    arch: "amd64",
  },
  sections: [
    {
      name: "engine",
      status: "warn",
      checks: [
        {
          name: "Docker engine",
          section: "engine",
          status: "ok",
          latencyMs: 3,
          detail: "Docker 20.10.24 (API 1.41)",
        },
        {
          name: "Engine API features",
          section: "engine",
          status: "warn",
          latencyMs: null,
          detail: "API 1.41 lacks healthcheck start_interval (API 1.44)",
          reason: "…",
          hint: "…",
        },
      ],
    },
  ],
});

describe("published doctor report schema", () => {
  it("schema/doctor-report.schema.json is generated from src/health/doctor/report.ts", async () => {
    const generated = `${JSON.stringify(doctorReportJsonSchema(), null, 2)}\n`;
    if (process.env.GATESTACK_UPDATE_SCHEMAS === "1") await writeFile(SCHEMA_FILE, generated);
    expect(await readFile(SCHEMA_FILE, "utf8")).toBe(generated);
  });

  it("reports validate against the file; what the contract forbids does not", async () => {
    const validate = new Ajv2020({ strict: false }).compile(
      JSON.parse(await readFile(SCHEMA_FILE, "utf8")) as object,
    );
    expect(validate(sample()), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...sample(), engine: null, status: "fail", exitCode: 2 })).toBe(true);
    expect(validate({ ...sample(), status: "healthy" })).toBe(false);
    expect(validate({ ...sample(), exitCode: 3 })).toBe(false);
    const section = sample().sections[0];
    expect(validate({ ...sample(), sections: [{ ...section, name: "edge" }] })).toBe(false);
    expect(doctorReportSchema.safeParse(sample()).success).toBe(true);
  });
});
