import { GatestackError } from "../errors.js";
import { placeIssue, type StackIssue } from "../stack/issues.js";
import { analyzeStackText, displayPath, readStackFile } from "../stack/load.js";
import { openApiDrafts } from "../stack/openapi/check.js";
import { loadOpenApiDocument } from "../stack/openapi/document.js";
import type { StackConfig } from "../stack/schema.js";
import { httpsEnabled, isLocalDomain, publicPrefix, siteUrl } from "./topology.js";

export interface OpenApiCheckOptions {
  /** Check every service (against its running app unless `sources` names a file or URL for it). */
  all: boolean;
  /** Service name → an OpenAPI file or URL to check it against instead (offline use). */
  sources: Record<string, string>;
  timeoutMs?: number;
}

export interface OpenApiCheckResult {
  /** Services checked, with the document each was checked against. */
  checked: { service: string; source: string }[];
  warnings: StackIssue[];
}

/**
 * `stack validate --openapi`: each service's routes against its app's current OpenAPI document
 * (src/stack/openapi/check.ts), the findings as stack.yaml warnings. The document of a running
 * app is fetched the way a client reaches it — through Caddy and the gateway, at the site URL,
 * the app's public prefix and `/openapi.json` (FastAPI's; Caddy's internal CA accepted on a local
 * site) — so it is what the stack really serves; `sources` replaces that per service by a file or
 * another URL. A document that cannot be read is an error naming it.
 */
export async function checkAgainstOpenApi(
  dir: string,
  opts: OpenApiCheckOptions,
): Promise<OpenApiCheckResult> {
  const { file, text } = await readStackFile(dir);
  const analysis = analyzeStackText(text, displayPath(file));
  const config = analysis.config;
  if (!config) return { checked: [], warnings: [] }; // stack validate reports the errors
  const names = config.services.map((s) => s.name);
  for (const name of Object.keys(opts.sources)) {
    if (!names.includes(name)) {
      throw new GatestackError("E_USAGE", `--openapi-file ${name}=…: no service "${name}" in stack.yaml`, {
        exitCode: 2,
        hint: `services: ${names.join(", ")}`,
      });
    }
  }
  const checked: OpenApiCheckResult["checked"] = [];
  const warnings: StackIssue[] = [];
  for (const [index, service] of config.services.entries()) {
    const given = opts.sources[service.name];
    if (given === undefined && !opts.all) continue;
    const prefix = publicPrefix(service);
    const location = given ?? `${siteUrl(config)}${prefix}/openapi.json`;
    const doc = await loadOpenApiDocument(location, {
      insecure: given === undefined && selfSignedSite(config),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
    checked.push({ service: service.name, source: doc.source });
    for (const draft of openApiDrafts(service, index, doc, prefix)) {
      warnings.push(placeIssue(analysis.source, draft));
    }
  }
  return { checked, warnings };
}

/** Caddy serves the site with its internal CA: `https: internal`, or automatic HTTPS on localhost. */
function selfSignedSite(stack: StackConfig): boolean {
  return httpsEnabled(stack) && (stack.https === "internal" || isLocalDomain(stack.domain));
}
