import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import type { OpenAPIV3, OpenAPIV3_1 } from "openapi-types";
import { Agent, request } from "undici";
import { GatestackError } from "../../errors.js";
import { displayPath } from "../load.js";
import { parseYamlSource, type YamlSource } from "../yaml-source.js";

/** The HTTP methods an OpenAPI path item can hold an operation for, as Kong spells them. */
export const OPENAPI_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
export type OpenApiMethod = (typeof OPENAPI_METHODS)[number];

/** A path parameter of an operation (path-item and operation parameters merged, the operation's winning). */
export interface PathParameter {
  name: string;
  /** The schema allows an empty value (`minLength: 0`). */
  mayBeEmpty: boolean;
}

/** One operation of an OpenAPI document: the unit a generated route is made for. */
export interface OpenApiOperation {
  /** The path as the document writes it, e.g. `/items/{item_id}`. */
  path: string;
  /** Upper case, e.g. `GET`. */
  method: string;
  operationId: string | undefined;
  tags: string[];
  pathParameters: PathParameter[];
}

export interface OpenApiDocument {
  /** How the document is named in messages: a file path or the URL. */
  source: string;
  /** `3.0.3`, `3.1.0`… */
  version: string;
  title: string;
  /** The path of `servers[0].url` ("" when none or "/"), e.g. `/api/users` for FastAPI behind ROOT_PATH. */
  serverPath: string;
  /** Every operation, sorted by path then method (as decK's openapi2kong walks them). */
  operations: OpenApiOperation[];
}

export interface LoadOptions {
  /** Time allowed for fetching a URL (default 10 s). */
  timeoutMs?: number;
  /** Accept a self-signed certificate (Caddy's internal CA on localhost). */
  insecure?: boolean;
}

type Document = OpenAPIV3.Document | OpenAPIV3_1.Document;

/**
 * Read an OpenAPI 3.0 / 3.1 document from a file (JSON or YAML) or an http(s) URL, check it against
 * the OpenAPI schema and resolve its `$ref`s (@apidevtools/swagger-parser). Every failure is an
 * E_OPENAPI_INVALID (or E_IO / E_TIMEOUT for reading) naming the place: `file:line:col` for files,
 * `URL#/json/pointer` for URLs.
 */
export async function loadOpenApiDocument(
  location: string,
  opts: LoadOptions = {},
): Promise<OpenApiDocument> {
  const isUrl = /^https?:\/\//i.test(location);
  const source = isUrl ? location : displayPath(resolve(location));
  const text = isUrl ? await fetchText(location, opts) : await readText(location, source);
  let yaml: YamlSource;
  try {
    yaml = parseYamlSource(text, source);
  } catch (err) {
    if (err instanceof GatestackError) {
      throw new GatestackError("E_OPENAPI_INVALID", `not an OpenAPI document: ${err.message}`, {
        place: err.place ?? source,
      });
    }
    throw err;
  }
  const data = yaml.data;
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw invalid(source, yaml, [], "not an OpenAPI document: expected a JSON/YAML object");
  }
  const version = (data as Record<string, unknown>).openapi;
  if (typeof version !== "string" || !/^3\.[01]\.\d+/.test(version)) {
    const swagger = (data as Record<string, unknown>).swagger;
    const got = swagger !== undefined ? `swagger ${String(swagger)}` : `openapi ${JSON.stringify(version)}`;
    throw invalid(
      source,
      yaml,
      [swagger !== undefined ? "swagger" : "openapi"],
      `only OpenAPI 3.0 and 3.1 documents are supported (got ${got})`,
    );
  }
  let doc: Document;
  try {
    // A file is given by path so that relative external $refs resolve beside it.
    const input = isUrl ? (structuredClone(data) as Document) : resolve(location);
    doc = (await SwaggerParser.validate(input as string)) as Document;
  } catch (err) {
    throw fromParserError(err, source, yaml);
  }
  return {
    source,
    version,
    title: doc.info?.title ?? "",
    serverPath: serverPathOf(doc),
    operations: operationsOf(doc),
  };
}

function operationsOf(doc: Document): OpenApiOperation[] {
  const out: OpenApiOperation[] = [];
  const paths = doc.paths ?? {};
  for (const path of Object.keys(paths).sort()) {
    const item = paths[path];
    if (!item) continue;
    const shared = parametersOf(item.parameters);
    for (const method of [...OPENAPI_METHODS].sort()) {
      const op = (item as Record<string, unknown>)[method] as OpenAPIV3.OperationObject | undefined;
      if (!op) continue;
      const own = parametersOf(op.parameters);
      const merged = new Map([...shared, ...own]);
      out.push({
        path,
        method: method.toUpperCase(),
        operationId: typeof op.operationId === "string" && op.operationId !== "" ? op.operationId : undefined,
        tags: Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === "string") : [],
        pathParameters: [...merged.values()],
      });
    }
  }
  return out;
}

/** Path parameters by name (dereferenced already). */
function parametersOf(list: unknown): Map<string, PathParameter> {
  const out = new Map<string, PathParameter>();
  if (!Array.isArray(list)) return out;
  for (const p of list as OpenAPIV3.ParameterObject[]) {
    if (p?.in !== "path" || typeof p.name !== "string") continue;
    const schema = p.schema as OpenAPIV3.SchemaObject | undefined;
    out.set(p.name, { name: p.name, mayBeEmpty: schema?.minLength === 0 });
  }
  return out;
}

function serverPathOf(doc: Document): string {
  const url = doc.servers?.[0]?.url;
  if (typeof url !== "string" || url === "") return "";
  let path: string;
  try {
    path = new URL(url, "http://server.invalid").pathname;
  } catch {
    return "";
  }
  path = decodeURI(path).replace(/\/+$/, "");
  return path === "" || path.includes("{") ? "" : path;
}

async function readText(location: string, source: string): Promise<string> {
  try {
    return await readFile(location, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new GatestackError("E_IO", `cannot read the OpenAPI document: ${why}`, {
      place: source,
      cause: err,
    });
  }
}

async function fetchText(url: string, opts: LoadOptions): Promise<string> {
  const timeout = opts.timeoutMs ?? 10_000;
  const dispatcher = new Agent({
    connectTimeout: timeout,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    ...(opts.insecure ? { connect: { rejectUnauthorized: false } } : {}),
  });
  try {
    const res = await request(url, {
      dispatcher,
      headers: { accept: "application/json, application/yaml;q=0.9" },
      signal: AbortSignal.timeout(timeout),
    });
    const body = await res.body.text();
    if (res.statusCode !== 200) {
      throw new GatestackError("E_IO", `fetching the OpenAPI document answered HTTP ${res.statusCode}`, {
        place: url,
        hint: "is the app running, and does the URL serve its openapi.json?",
      });
    }
    return body;
  } catch (err) {
    if (err instanceof GatestackError) throw err;
    const e = err as Error & { code?: string; cause?: { code?: string } };
    const timedOut = e.name === "TimeoutError" || /Timeout/.test(e.code ?? "");
    throw new GatestackError(
      timedOut ? "E_TIMEOUT" : "E_IO",
      timedOut
        ? `no answer within ${timeout} ms fetching the OpenAPI document`
        : `cannot fetch the OpenAPI document: ${e.cause?.code ?? e.code ?? e.message}`,
      { place: url, hint: "is the app running? Pass a file instead to work offline", cause: err },
    );
  } finally {
    await dispatcher.close();
  }
}

/** swagger-parser's errors: a schema failure lists `#/pointer message` lines; a bad $ref names the pointer. */
function fromParserError(err: unknown, source: string, yaml: YamlSource): GatestackError {
  const message = err instanceof Error ? err.message : String(err);
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const detail = lines.find((l) => l.startsWith("#/")) ?? lines[0] ?? "invalid document";
  const pointer = /^#(\/\S*)/.exec(detail)?.[1];
  const refPointer = /\$ref pointer "(#[^"]*)"/.exec(message)?.[1];
  const path = pointer !== undefined ? pointerToPath(pointer) : refPath(yaml, refPointer);
  const text = pointer !== undefined ? detail.slice(pointer.length + 1).trim() : detail;
  return invalid(
    source,
    yaml,
    path,
    `invalid OpenAPI document: ${pointer !== undefined ? `#${pointer}: ` : ""}${text}`,
  );
}

/** Where a missing `$ref` is written: the first `$ref` key holding that pointer. */
function refPath(yaml: YamlSource, pointer: string | undefined): (string | number)[] {
  if (pointer === undefined) return [];
  const found: (string | number)[][] = [];
  const walk = (value: unknown, at: (string | number)[]) => {
    if (found.length > 0 || value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        walk(v, [...at, i]);
      });
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && v === pointer) found.push([...at, k]);
      else walk(v, [...at, k]);
    }
  };
  walk(yaml.data, []);
  return found[0] ?? [];
}

function pointerToPath(pointer: string): string[] {
  return pointer
    .split("/")
    .slice(1)
    .map((s) => decodeURIComponent(s).replace(/~1/g, "/").replace(/~0/g, "~"));
}

function invalid(
  source: string,
  yaml: YamlSource,
  path: (string | number)[],
  message: string,
): GatestackError {
  const isUrl = /^https?:\/\//i.test(source);
  let place: string;
  if (isUrl) {
    const pointer = path.map((s) => String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
    place = pointer === "" ? source : `${source}#/${pointer}`;
  } else {
    const { line, col } = yaml.locate(path);
    place = `${source}:${line}:${col}`;
  }
  return new GatestackError("E_OPENAPI_INVALID", message, {
    place,
    hint: "fix the OpenAPI document (FastAPI serves it at /openapi.json)",
  });
}
