import { rename, unlink, writeFile } from "node:fs/promises";
import { GatestackError } from "../../errors.js";
import { displayPath, parseStackText, readStackFile } from "../load.js";
import type { ServiceSpec } from "../schema.js";
import { type LoadOptions, loadOpenApiDocument } from "./document.js";
import { mergeRoutes, type RouteMergeResult } from "./edit.js";
import { routesFromOpenApi } from "./routes.js";

export interface ImportOptions extends LoadOptions {
  service: string;
  /**
   * The public path prefix the app is mounted at; a function of the service as stack.yaml declares
   * it when not given outright (the CLI passes the prefix its stripping route gives, which the
   * renderer also sets as the app's ROOT_PATH).
   */
  prefix: string | ((service: ServiceSpec) => string);
  prune?: boolean;
  /** Compute everything, write nothing. */
  dryRun?: boolean;
}

export interface ImportResult extends Omit<RouteMergeResult, "text"> {
  /** stack.yaml, as named in messages. */
  file: string;
  service: string;
  /** The document read, as named in messages, and its OpenAPI version. */
  source: string;
  openapi: string;
  prefix: string;
  /** The path of the document's `servers[0].url` ("" for none): FastAPI's root_path, the app's ROOT_PATH. */
  serverPath: string;
  skipped: string[];
  dryRun: boolean;
  /** Whether stack.yaml was rewritten. */
  written: boolean;
  before: string;
  after: string;
}

/**
 * `stack import openapi`: an OpenAPI 3.0/3.1 document's operations become routes of one service in
 * `<dir>/stack.yaml` (routes.ts for the conversion, edit.ts for the in-place edit). stack.yaml must
 * be valid before and after; the file is replaced atomically, and only when something changed —
 * never on a dry run or an error.
 */
export async function importOpenApi(
  dir: string,
  location: string,
  opts: ImportOptions,
): Promise<ImportResult> {
  const { file, text } = await readStackFile(dir);
  const shown = displayPath(file);
  const config = parseStackText(text, shown);
  const service = config.services.find((s) => s.name === opts.service);
  // An unknown service is reported by mergeRoutes (with the services there are); it needs no prefix.
  const prefix = typeof opts.prefix === "string" ? opts.prefix : service ? opts.prefix(service) : "";
  if (prefix !== "" && (!prefix.startsWith("/") || /[\s{}~]/.test(prefix))) {
    throw new GatestackError("E_USAGE", `--path-prefix must be a path such as /api/users (got "${prefix}")`, {
      exitCode: 2,
    });
  }
  if (!service) mergeRoutes(text, shown, [], { service: opts.service, prune: false });
  const doc = await loadOpenApiDocument(location, opts);
  const { routes, skipped } = routesFromOpenApi(doc, { service: opts.service, prefix });
  const merged = mergeRoutes(text, shown, routes, { service: opts.service, prune: opts.prune === true });
  const changed = merged.text !== text;
  const dryRun = opts.dryRun === true;
  if (changed && !dryRun) await replaceFile(file, merged.text);
  const { text: after, ...counts } = merged;
  return {
    file: shown,
    service: opts.service,
    source: doc.source,
    openapi: doc.version,
    prefix: prefix.replace(/\/+$/, ""),
    serverPath: doc.serverPath,
    skipped,
    ...counts,
    dryRun,
    written: changed && !dryRun,
    before: text,
    after,
  };
}

async function replaceFile(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text);
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw new GatestackError("E_IO", `cannot write ${displayPath(file)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
