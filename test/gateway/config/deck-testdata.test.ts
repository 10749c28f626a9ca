/**
 * Declarative files shaped like those of Kong's decK test data (test/fixtures/deck-testdata/,
 * its README says which decK files each one mirrors) through the real loader and the real
 * bundled plugins: what open-source Kong accepts is accepted; Kong Enterprise / Konnect features
 * are refused saying so, at Kong's flattened error path; open-source features not run here yet
 * say that; the rest is refused as Kong refuses it. test/support/deck-testdata.ts runs the same
 * loader over decK's whole test data.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDeclarativeConfig } from "../../../src/gateway/config/load.js";
import { errorLines } from "../../../src/gateway/config/report.js";
import { loadPluginRegistry, type PluginRegistry } from "../../../src/gateway/plugins/registry.js";

const DIR = join(import.meta.dirname, "../../fixtures/deck-testdata");

let registry: PluginRegistry;
beforeAll(async () => {
  registry = await loadPluginRegistry([]);
});

/** pointer → message of every error of the file, or null when it loads. */
function errorsOf(file: string): Record<string, string> | null {
  const text = readFileSync(join(DIR, file), "utf8");
  const r = parseDeclarativeConfig(text, { env: {}, plugins: registry.get });
  if (r.ok) return null;
  return Object.fromEntries(errorLines(r.error).map((l) => [l.pointer, l.message]));
}

const ENTERPRISE =
  /is a Kong Enterprise (feature|plugin); this gateway runs open-source Kong (features|plugins) only$/;
const NOT_YET = /is an open-source Kong (feature|plugin) not supported yet by this gateway/;

const ACCEPTED = [
  "oss-service-route-plugin.yaml",
  "oss-select-tags-info.yaml",
  "oss-workspace-default.yaml",
  "oss-format-1-1.yaml",
  "oss-hmac-auth.yaml",
  "oss-request-termination.yaml",
  "oss-logging-plugins.yaml",
  "oss-opentelemetry.yaml",
  "oss-response-ratelimiting.yaml",
  "oss-upstream-dump-defaults.yaml",
  "oss-credentials.yaml",
  "oss-vault-env.yaml",
];

/** file → the error paths it must report, each an Enterprise refusal. */
const ENTERPRISE_REFUSED: Record<string, string[]> = {
  "ee-rate-limiting-advanced.yaml": ["plugins[0].name"],
  "ee-openid-connect-on-route.yaml": ["services[0].routes[0].plugins[0].name"],
  "ee-canary.yaml": ["services[0].plugins[0].name"],
  "ee-consumer-groups.yaml": ["consumer_groups"],
  "ee-consumer-group-member.yaml": ["consumers[0].groups"],
  "ee-plugin-consumer-group.yaml": ["plugins[0].consumer_group"],
  "ee-konnect.yaml": ["_konnect"],
  "ee-workspace.yaml": ["_workspace"],
  "ee-rbac.yaml": ["rbac_roles"],
  "ee-partials.yaml": ["partials", "plugins[0].partials"],
  "ee-mtls-auth.yaml": ["consumers[0].mtls_auth_credentials", "plugins[0].name"],
  "ee-plugin-ordering.yaml": ["plugins[0].ordering"],
  "ee-sticky-sessions.yaml": [
    "upstreams[0].sticky_sessions_cookie",
    "upstreams[0].sticky_sessions_cookie_path",
  ],
  "ee-service-tls-sans.yaml": ["services[0].tls_sans"],
};

describe("decK test data shapes through the declarative loader", () => {
  it("covers every fixture file", () => {
    const listed = new Set([
      ...ACCEPTED,
      ...Object.keys(ENTERPRISE_REFUSED),
      "ee-vault-aws.yaml",
      "dbless-oauth2.yaml",
      "notyet-expressions-route.yaml",
      "refused-no-format-version.yaml",
      "refused-deck-env-template.yaml",
      "refused-custom-plugin.yaml",
    ]);
    const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml"));
    expect(files.sort()).toEqual([...listed].sort());
  });

  it.each(ACCEPTED)("accepts %s (open-source Kong only)", (file) => {
    expect(errorsOf(file)).toBeNull();
  });

  it.each(Object.entries(ENTERPRISE_REFUSED))("refuses %s as Kong Enterprise at its place", (file, paths) => {
    const errors = errorsOf(file);
    expect(errors).not.toBeNull();
    expect(Object.keys(errors!).sort()).toEqual([...paths].sort());
    for (const p of paths) expect(errors![p]).toMatch(ENTERPRISE);
  });

  it("names the Enterprise plugin", () => {
    expect(errorsOf("ee-rate-limiting-advanced.yaml")).toEqual({
      "plugins[0].name":
        "plugin 'rate-limiting-advanced' is a Kong Enterprise plugin; this gateway runs open-source Kong plugins only",
    });
    expect(errorsOf("ee-workspace.yaml")?._workspace).toContain("a workspace other than 'default'");
  });

  it("refuses an Enterprise vault, keeping the open-source env vault", () => {
    expect(errorsOf("ee-vault-aws.yaml")).toEqual({
      "vaults[1].name":
        "vault 'aws' is a Kong Enterprise vault; open-source Kong (and this gateway) has the 'env' vault only",
    });
  });

  it("DB-less: accepts oauth2 credentials and refuses the oauth2 plugin in Kong's words (it stores tokens)", () => {
    expect(errorsOf("dbless-oauth2.yaml")).toEqual({
      "plugins[0].name":
        "plugin 'oauth2' needs a database (run the gateway in database mode): cannot create 'oauth2_tokens' entities when not using a database",
    });
  });

  it("refuses the expressions router's fields as not supported yet", () => {
    const errors = errorsOf("notyet-expressions-route.yaml")!;
    expect(errors["services[0].routes[0].expression"]).toMatch(NOT_YET);
    expect(errors["services[0].routes[0].priority"]).toMatch(NOT_YET);
  });

  it("refuses what open-source Kong refuses too, with Kong's messages", () => {
    expect(errorsOf("refused-no-format-version.yaml")).toEqual({ _format_version: "required field missing" });
    expect(errorsOf("refused-deck-env-template.yaml")?.["services[0].host"]).toMatch(/^invalid value/);
    expect(errorsOf("refused-custom-plugin.yaml")).toEqual({
      "plugins[0].name": "plugin 'foofloat' not enabled; add it to the 'plugins' configuration property",
    });
  });

  it("reports an Enterprise refusal in Kong's flattened errors", () => {
    const text = readFileSync(join(DIR, "ee-plugin-consumer-group.yaml"), "utf8");
    const r = parseDeclarativeConfig(text, { env: {}, plugins: registry.get });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(14);
    const flat = r.error.flattened_errors as Array<{
      entity_type: string;
      errors: Array<Record<string, string>>;
    }>;
    expect(flat).toHaveLength(1);
    expect(flat[0]!.entity_type).toBe("plugin");
    expect(flat[0]!.errors).toEqual([
      expect.objectContaining({
        field: "consumer_group",
        type: "field",
        message: expect.stringMatching(ENTERPRISE),
      }),
    ]);
  });
});
