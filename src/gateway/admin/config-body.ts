/**
 * The body of POST /config as Kong accepts it: a JSON document, YAML or JSON text, a
 * multipart form whose `config` field holds the file (`curl -F config=@kong.yml`), a
 * url-encoded `config=` form (both read by body.ts, as entity writes are), or JSON
 * `{ "config": "<text>" }`. `check_hash=1` may come in the query string or the form.
 */
import { isPlainObject } from "../config/schema/fields.js";
import { readForm } from "./body.js";

export type ConfigBody =
  | { ok: true; input: string | object; checkHash: boolean }
  | { ok: false; status: number; message: string };

const EXPECTED = "expected a declarative configuration";

export async function parseConfigBody(
  contentType: string | undefined,
  body: Buffer,
  query: URLSearchParams,
): Promise<ConfigBody> {
  let checkHash = query.get("check_hash") === "1";
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "multipart/form-data" || type === "application/x-www-form-urlencoded") {
    const form = await readForm(contentType, body);
    if (!form.ok) {
      const message =
        form.reason === "too many arguments" ? "Too many arguments" : "Cannot parse multipart/form-data body";
      return { ok: false, status: 400, message };
    }
    const first = (name: string) => form.fields.find((f) => f.name === name)?.value;
    if (first("check_hash") === "1") checkHash = true;
    const config = first("config");
    return typeof config !== "string" || config.trim() === ""
      ? { ok: false, status: 400, message: EXPECTED }
      : { ok: true, input: config, checkHash };
  }
  const text = body.toString("utf8");
  if (text.trim() === "") return { ok: false, status: 400, message: EXPECTED };
  if (type === "application/json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { ok: false, status: 400, message: "Cannot parse JSON body" };
    }
    if (isPlainObject(parsed) && parsed._format_version === undefined && typeof parsed.config === "string") {
      if (parsed.check_hash === 1 || parsed.check_hash === "1") checkHash = true;
      return { ok: true, input: parsed.config, checkHash };
    }
    // the text itself goes to the loader (which parses JSON as fast): the gateway keeps the
    // compact text of the served configuration for GET /config, not a parsed object tree
    return { ok: true, input: text, checkHash };
  }
  return { ok: true, input: text, checkHash };
}
