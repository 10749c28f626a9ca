/**
 * `deck file convert --from kong-gateway-2.x --to kong-gateway-3.x` on a declarative document:
 *  - every route path that looks like a regular expression — a character outside
 *    `[a-zA-Z0-9._~/%-]` (decK's IsPathRegexLike) — and does not start with `~/` gets the `~`
 *    prefix Kong 3.0 requires of regex paths (without it a path is a plain prefix);
 *  - `_format_version` becomes "3.0".
 * Routes nested under services and top-level routes alike (decK converts the nested ones).
 * decK also gives rate-limiting-advanced plugins a random `namespace`; that plugin is
 * Enterprise-only and not one this gateway has, so nothing is generated and output stays
 * deterministic. YAML keeps its comments, key order and layout (the `yaml` document API); JSON
 * is written back as JSON. Input that is no 1.x/2.x document is refused, naming what it is.
 */
import { isMap, isScalar, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from "yaml";
import { GatestackError } from "../errors.js";

/** decK's pathRegexPattern: a path with any other character is regex-like. */
const NOT_PLAIN_PATH = /[^a-zA-Z0-9._~/%-]/;

export function isRegexLikePath(path: string): boolean {
  return NOT_PLAIN_PATH.test(path);
}

export interface ConvertedPath {
  /** the route's name, else its id, else `routes[i]` / `services[i].routes[j]` */
  route: string;
  from: string;
  to: string;
}

export interface ConvertResult {
  text: string;
  fromVersion: string;
  /** paths given the `~` prefix */
  paths: ConvertedPath[];
}

export function convertTo30(text: string, place: string): ConvertResult {
  const json = looksLikeJson(text);
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0];
    throw new GatestackError("E_GATEWAY_CONFIG", `cannot parse the document: ${e.message.split("\n")[0]}`, {
      place: at ? `${place}:${at.line}:${at.col}` : place,
    });
  }
  const contents: unknown = doc.contents;
  if (!isMap(contents))
    throw new GatestackError("E_GATEWAY_CONFIG", "not a declarative configuration (expected a mapping)", {
      place,
    });
  const root = contents as YAMLMap<unknown, unknown>;
  const version: unknown = root.get("_format_version");
  const fromVersion = typeof version === "number" ? version.toFixed(1) : String(version ?? "");
  if (!/^(1|2)(\.\d+)?$/.test(fromVersion)) {
    throw new GatestackError(
      "E_GATEWAY_CONFIG",
      version === undefined
        ? "no _format_version: cannot tell which Kong format this is"
        : `_format_version is ${JSON.stringify(fromVersion)}: only 1.x and 2.x documents convert to 3.0`,
      {
        place,
        hint:
          version === undefined
            ? 'add _format_version: "2.1" (or the version the file was written for)'
            : "a 3.x document needs no conversion; `stack gateway validate` checks it",
      },
    );
  }
  const paths: ConvertedPath[] = [];
  const services = root.get("services");
  if (isSeq(services)) {
    services.items.forEach((service, i) => {
      if (isMap(service)) convertRoutes(service.get("routes"), `services[${i}].routes`, paths);
    });
  }
  convertRoutes(root.get("routes"), "routes", paths);
  const node: unknown = root.get("_format_version", true);
  if (isScalar(node)) {
    node.value = "3.0";
    // a plain 3.0 would read back as the number 3
    node.type = "QUOTE_DOUBLE";
  }
  const out = json ? `${JSON.stringify(doc.toJS(), null, 2)}\n` : doc.toString({ lineWidth: 0 });
  return { text: out, fromVersion, paths };
}

function convertRoutes(routes: unknown, where: string, out: ConvertedPath[]): void {
  if (!isSeq(routes)) return;
  (routes as YAMLSeq).items.forEach((route, i) => {
    if (!isMap(route)) return;
    const map = route as YAMLMap;
    const paths = map.get("paths");
    if (!isSeq(paths)) return;
    const name = map.get("name") ?? map.get("id");
    const label = typeof name === "string" ? name : `${where}[${i}]`;
    for (const item of (paths as YAMLSeq).items) {
      if (!isScalar(item) || typeof item.value !== "string") continue;
      const path = item.value;
      if (path.startsWith("~/") || !isRegexLikePath(path)) continue;
      const converted = `~${path}`;
      item.value = converted;
      out.push({ route: label, from: path, to: converted });
    }
  });
}

function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === "{";
}
