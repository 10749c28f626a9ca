/**
 * response-transformer (Kong 3.x): headers in the responseHeaders phase, JSON bodies in
 * the responseBody phase (only for JSON content types; a body that does not parse is
 * passed through untouched).
 */
import { splitPair } from "../_shared/config-pairs.js";
import type { PluginEntry, PluginHandler, ResponseHead } from "../types.js";
import type { ResponseTransformerConfig } from "./schema.js";

type JsonType = "boolean" | "number" | "string";

function isJson(res: ResponseHead): boolean {
  const v = res.headers["content-type"];
  const type = Array.isArray(v) ? v[0] : v;
  return type?.toLowerCase().includes("application/json") ?? false;
}

/** Kong's cast_value. */
function cast(value: string, type: JsonType | undefined): unknown {
  if (type === "number") {
    const n = Number(value);
    return value.trim() === "" || Number.isNaN(n) ? null : n;
  }
  if (type === "boolean") return value.toLowerCase() === "true";
  return value;
}

const present = (v: unknown) => v !== undefined && v !== false;

function transformHeaders(conf: ResponseTransformerConfig, headers: Record<string, string | string[]>): void {
  for (const name of conf.remove.headers) delete headers[name.toLowerCase()];
  for (const entry of conf.rename.headers) {
    const { name, value } = splitPair(entry);
    const from = name.toLowerCase();
    const to = value.toLowerCase();
    const current = headers[from];
    if (current === undefined || !to || from === to) continue;
    headers[to] = current;
    delete headers[from];
  }
  for (const entry of conf.replace.headers) {
    const { name, value } = splitPair(entry);
    if (headers[name.toLowerCase()] !== undefined) headers[name.toLowerCase()] = value;
  }
  for (const entry of conf.add.headers) {
    const { name, value } = splitPair(entry);
    if (headers[name.toLowerCase()] === undefined) headers[name.toLowerCase()] = value;
  }
  for (const entry of conf.append.headers) {
    const { name, value } = splitPair(entry);
    const key = name.toLowerCase();
    const old = headers[key];
    headers[key] = old === undefined ? value : Array.isArray(old) ? [...old, value] : [old, value];
  }
}

function transformJson(conf: ResponseTransformerConfig, json: Record<string, unknown>): void {
  for (const name of conf.remove.json) delete json[name];
  for (const entry of conf.rename.json) {
    const { name, value: to } = splitPair(entry);
    if (json[name] === undefined || !to || name === to) continue;
    json[to] = json[name];
    delete json[name];
  }
  conf.replace.json.forEach((entry, i) => {
    const { name, value } = splitPair(entry);
    if (present(json[name])) json[name] = cast(value, conf.replace.json_types[i]);
  });
  conf.add.json.forEach((entry, i) => {
    const { name, value } = splitPair(entry);
    if (!present(json[name])) json[name] = cast(value, conf.add.json_types[i]);
  });
  conf.append.json.forEach((entry, i) => {
    const { name, value } = splitPair(entry);
    const v = cast(value, conf.append.json_types[i]);
    const old = json[name];
    json[name] = old === undefined ? v : Array.isArray(old) ? [...old, v] : [old, v];
  });
}

const hasJsonOps = (c: ResponseTransformerConfig) =>
  [c.remove, c.rename, c.replace, c.add, c.append].some((section) => section.json.length > 0);

export function createResponseTransformerHandler(
  entry: PluginEntry<ResponseTransformerConfig>,
): PluginHandler {
  const conf = entry.config;
  const handler: PluginHandler = {
    responseHeaders(_ctx, res) {
      transformHeaders(conf, res.headers);
      if (hasJsonOps(conf) && isJson(res)) delete res.headers["content-length"];
    },
  };
  if (hasJsonOps(conf)) {
    // only JSON bodies are transformed: any other response streams unbuffered
    handler.wantsResponseBody = (_ctx, res) => isJson(res);
    handler.responseBody = (_ctx, res, body) => {
      if (!isJson(res)) return body;
      let json: unknown;
      try {
        json = JSON.parse(body.toString("utf8"));
      } catch {
        return body;
      }
      if (typeof json !== "object" || json === null || Array.isArray(json)) return body;
      transformJson(conf, json as Record<string, unknown>);
      return Buffer.from(JSON.stringify(json));
    };
  }
  return handler;
}
