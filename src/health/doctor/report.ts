import { z } from "zod";
import { checkResultSchema, checkStatusSchema } from "../report.js";

/**
 * The `stack doctor` report: the machine before `stack up`, in the shape of the health report
 * (checks with ok/warn/fail, a reason and a hint), grouped by what was looked at. One model for
 * the TypeScript types, the `--json` output and schema/doctor-report.schema.json (generated from
 * this file; test/health/doctor/report-schema.test.ts fails when they differ and rewrites the
 * file when run with GATESTACK_UPDATE_SCHEMAS=1).
 */

export const DOCTOR_SCHEMA_VERSION = 1;

export const DOCTOR_SECTIONS = ["engine", "compose", "ports", "memory", "kernel", "images", "git"] as const;
export const doctorSectionSchema = z
  .enum(DOCTOR_SECTIONS)
  .describe(
    "engine: the Docker engine and what its API version allows; compose: a Compose CLI; ports: the host ports the stack publishes; memory: what the enabled addons need against what the machine has; kernel: vm.max_map_count (Elasticsearch); images: the stack's images present or a registry to pull them from; git: the stack folder's history (Jenkins builds it).",
  );
export type DoctorSection = z.infer<typeof doctorSectionSchema>;

export const doctorCheckSchema = checkResultSchema
  .omit({ layer: true })
  .extend({ section: doctorSectionSchema })
  .describe("One check's result.");
export type DoctorCheck = z.infer<typeof doctorCheckSchema>;

export const doctorSectionReportSchema = z
  .object({
    name: doctorSectionSchema,
    status: checkStatusSchema.describe("The worst status among the section's checks."),
    checks: z.array(doctorCheckSchema),
  })
  .describe("The checks of one section.");
export type DoctorSectionReport = z.infer<typeof doctorSectionReportSchema>;

export const doctorReportSchema = z
  .object({
    schemaVersion: z.literal(DOCTOR_SCHEMA_VERSION),
    stack: z.string().describe("The stack's name (the Docker Compose project)."),
    status: checkStatusSchema.describe(
      "The worst check: ok (exit 0) ready for `stack up`; warn (exit 1) it runs with a caveat worth a look; fail (exit 2) `stack up` would fail.",
    ),
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]).describe("0 ok, 1 warn, 2 fail."),
    generatedAt: z.string().describe("When the report was made (ISO 8601, UTC)."),
    durationMs: z.number().nonnegative().describe("How long producing the report took."),
    engine: z
      .object({
        host: z.string().describe("Where the engine was asked (DOCKER_HOST or the local socket)."),
        version: z.string().describe("The engine's version, e.g. 27.3.1."),
        apiVersion: z.string().describe("Its Engine API version, e.g. 1.47."),
        os: z.string(),
        arch: z.string(),
      })
      .nullable()
      .describe("The engine that answered; null when none did."),
    sections: z
      .array(doctorSectionReportSchema)
      .describe("In order: engine, compose, ports, memory, kernel, images, git (those that apply)."),
  })
  .describe("gatestack `stack doctor --json` report");
export type DoctorReport = z.infer<typeof doctorReportSchema>;

/** The published JSON Schema document (draft 2020-12). */
export function doctorReportJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(doctorReportSchema, { io: "output" }), title: "gatestack doctor report" };
}
