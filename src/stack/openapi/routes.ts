import { createHash } from "node:crypto";
import { GatestackError } from "../../errors.js";
import { HTTP_METHODS } from "../schema.js";
import type { OpenApiDocument, OpenApiOperation } from "./document.js";

/**
 * OpenAPI operations → stack.yaml routes, by decK's `file openapi2kong` rules (Kong/go-apiops,
 * re-expressed): one route per operation; the path becomes an anchored regex path where the
 * characters `( ) . + ? * [ $` are escaped and each `{param}` becomes a named capture of one
 * segment, `(?<param>[^#?/]+)` (`*` when the parameter's schema allows `minLength: 0`); the capture
 * name is the parameter name slugified with `_`; the route name comes from the operationId (else
 * from the path and the method), slugified; `regex_priority` is 200 for a path without parameters
 * and 100 with (a literal path wins over a parameter at the same place, as OpenAPI says);
 * `strip_path: false`. Differences, for stack.yaml's rules: names are `<service>-<slug>` joined by
 * `-` (stack.yaml names are DNS labels, at most 40 characters — longer ones are cut and end in a
 * hash, so they stay unique); the routes carry the tag `openapi` (how a later import finds them)
 * beside the operation's tags; and an app mounted under a prefix (`prefix`, e.g. /api/users, where
 * its stripping route puts it) gets the prefix in front of the regex and a request-transformer that
 * sends the app its own path (`replace.uri`), since a regex path cannot strip only the prefix.
 */

/** The tag every imported route carries. */
export const OPENAPI_TAG = "openapi";

const NAME_MAX = 40;
const PRIORITY_PLAIN = 200;
const PRIORITY_WITH_PARAMS = 100;

/** A route as it is written into stack.yaml (only the keys the import sets). */
export interface ImportedRoute {
  name: string;
  paths: [string];
  methods: [string];
  strip_path: false;
  regex_priority: number;
  tags: string[];
  plugins?: [{ name: "request-transformer"; config: { replace: { uri: string } } }];
}

export interface RouteOptions {
  /** The service the routes go to (prefixes every name). */
  service: string;
  /** Public path prefix the app is mounted at ("" for none), e.g. /api/users. */
  prefix: string;
}

export interface ImportedRoutes {
  routes: ImportedRoute[];
  /** Operations whose method stack.yaml routes cannot name (TRACE), as `TRACE /path`. */
  skipped: string[];
}

/** Every operation's route, in the document's order (paths sorted, then methods). */
export function routesFromOpenApi(doc: OpenApiDocument, opts: RouteOptions): ImportedRoutes {
  const prefix = opts.prefix.replace(/\/+$/, "");
  const supported = (op: OpenApiOperation) => (HTTP_METHODS as readonly string[]).includes(op.method);
  const operations = doc.operations.filter(supported);
  const skipped = doc.operations.filter((op) => !supported(op)).map((op) => `${op.method} ${op.path}`);
  const routes = operations.map((op) => routeFor(op, opts.service, prefix, doc.source));
  const seen = new Map<string, OpenApiOperation>();
  routes.forEach((route, i) => {
    const op = operations[i]!;
    const first = seen.get(route.name);
    if (first) {
      throw new GatestackError(
        "E_OPENAPI_INVALID",
        `operations ${first.method} ${first.path} and ${op.method} ${op.path} give the same route name "${route.name}"`,
        { place: doc.source, hint: "give the operations distinct operationIds" },
      );
    }
    seen.set(route.name, op);
  });
  return { routes, skipped };
}

function routeFor(op: OpenApiOperation, service: string, prefix: string, source: string): ImportedRoute {
  const { regex, hasParams, uri } = convertPath(op, source);
  const route: ImportedRoute = {
    name: routeName(service, op),
    paths: [`~${escapeRegex(prefix)}${regex}$`],
    methods: [op.method],
    strip_path: false,
    regex_priority: hasParams ? PRIORITY_WITH_PARAMS : PRIORITY_PLAIN,
    tags: [OPENAPI_TAG, ...op.tags.map(kongTag).filter((t) => t !== "" && t !== OPENAPI_TAG)],
  };
  if (prefix !== "") {
    route.plugins = [{ name: "request-transformer", config: { replace: { uri } } }];
  }
  return route;
}

/** The regex (without `~` and `$`), whether it has captures, and the app's path as a request-transformer template. */
function convertPath(
  op: OpenApiOperation,
  source: string,
): { regex: string; hasParams: boolean; uri: string } {
  let regex = escapeRegex(op.path);
  let uri = op.path;
  let hasParams = false;
  for (const match of op.path.matchAll(/\{([^}]+)\}/g)) {
    const varName = match[1]!;
    hasParams = true;
    const capture = sanitizeCapture(varName);
    if (capture === "" || capture.length >= 32) {
      throw new GatestackError(
        "E_OPENAPI_INVALID",
        `path parameter "${varName}" of ${op.path} ${capture === "" ? "has no usable name" : `exceeds 32 characters (sanitized to "${capture}")`}`,
        { place: source },
      );
    }
    const empty = op.pathParameters.find((p) => p.name === varName)?.mayBeEmpty === true;
    regex = regex.replace(`{${varName}}`, `(?<${capture}>[^#?/]${empty ? "*" : "+"})`);
    uri = uri.replace(`{${varName}}`, `$(uri_captures.${capture})`);
  }
  return { regex, hasParams, uri };
}

function escapeRegex(path: string): string {
  return path.replace(/[().+?*[$]/g, (c) => `\\${c}`);
}

/** go-slugify as openapi2kong configures it: transliterated, whitespace and other characters → `-`, lower case. */
export function slugify(text: string, separator = "-"): string {
  const ascii = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  const sep = separator === "-" ? "\\-" : separator;
  return ascii
    .trim()
    .split(/\s+/)
    .join(separator)
    .replace(new RegExp(`[^${sep}a-zA-Z0-9]`, "g"), separator)
    .replace(new RegExp(`${sep}{2,}`, "g"), separator)
    .replace(new RegExp(`^${sep}+|${sep}+$`, "g"), "")
    .toLowerCase();
}

/** A path-parameter name as a regex capture name: alphanumerics and `_` (openapi2kong's sanitizeRegexCapture). */
export function sanitizeCapture(name: string): string {
  return slugify(name, "_");
}

/** `<service>-<operationId slug>`, else `<service>-<path slug>-<method>`, at most 40 characters. */
export function routeName(service: string, op: OpenApiOperation): string {
  let base: string;
  if (op.operationId !== undefined) {
    base = slugify(op.operationId);
  } else {
    const pathSlug = slugify(op.path);
    // openapi2kong's "~" for a trailing slash (which stack.yaml names cannot hold).
    const trailing = op.path.length > 1 && op.path.endsWith("/") ? "slash" : "";
    base = [pathSlug, trailing, op.method.toLowerCase()].filter((s) => s !== "").join("-");
  }
  const full = base === "" ? service : `${service}-${base}`;
  if (full.length <= NAME_MAX) return full;
  const hash = createHash("sha1").update(full).digest("hex").slice(0, 6);
  return `${full.slice(0, NAME_MAX - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/** A Kong tag: printable, without `,` and `/`. */
function kongTag(tag: string): string {
  return tag
    .replace(/[,/]/g, "-")
    .replace(/\p{Cc}/gu, "")
    .trim();
}
