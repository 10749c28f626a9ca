/**
 * Request bodies of Admin API writes, decoded as Kong's Admin API decodes them
 * (kong/api/api_helpers.lua before_filter and parse_params, kong/api/arguments.lua load):
 *
 * - no Content-Type: an empty body is `{}`, any other 415;
 * - `application/json…`: the JSON object as sent (never coerced), else 400 "Cannot parse JSON body";
 * - `application/x-www-form-urlencoded…` and `multipart/form-data…` (`curl -d` / `curl -F`):
 *   the arguments nested by their names (body-args.ts: `config.minute=5`, `paths[]=/a`,
 *   repeated names as lists) and typed by the target's schema (body-infer.ts); more than
 *   1000 arguments is 400 "Too many arguments" (Kong's max_post_args); a multipart body that
 *   cannot be read is an empty form, as in Kong (which logs it and goes on);
 * - any other type: 415.
 *
 * The result is the object the schema check takes, or the answer that stops the write.
 */
import busboy from "busboy";
import { isPlainObject } from "../config/schema/fields.js";
import { type FormField, nestArguments } from "./body-args.js";
import { type BodyTarget, inferBody } from "./body-infer.js";

export type { FormField } from "./body-args.js";
export type { BodyTarget } from "./body-infer.js";

export type DecodedBody =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; status: 400 | 415; body?: { message: string } };

/** The fields of a form in the order sent; `true` for a url-encoded name without `=`. */
export type FormRead =
  | { ok: true; fields: FormField[] }
  | { ok: false; reason: "malformed" | "too many arguments" };

/** Kong's max_post_args: more arguments than this are refused. */
export const MAX_FORM_ARGUMENTS = 1000;

const URLENCODED = "application/x-www-form-urlencoded";
const MULTIPART = "multipart/form-data";

const UNSUPPORTED: DecodedBody = { ok: false, status: 415 };
const BAD_JSON: DecodedBody = { ok: false, status: 400, body: { message: "Cannot parse JSON body" } };
const TOO_MANY: DecodedBody = { ok: false, status: 400, body: { message: "Too many arguments" } };

/** The media type of a Content-Type header, lower-cased ("" when there is none). */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").trim().toLowerCase();
}

/**
 * Decode a write's body for `target` (null: nothing to type it by, e.g. under a missing
 * parent, where only the encoding is checked).
 */
export async function decodeAdminBody(
  contentType: string | undefined,
  raw: Buffer,
  target: BodyTarget | null,
): Promise<DecodedBody> {
  const type = mediaType(contentType);
  if (type === "") return raw.length === 0 ? { ok: true, value: {} } : UNSUPPORTED;
  if (type.startsWith("application/json")) {
    try {
      const value: unknown = JSON.parse(raw.toString("utf8"));
      return isPlainObject(value) ? { ok: true, value } : BAD_JSON;
    } catch {
      return BAD_JSON;
    }
  }
  if (!type.startsWith(URLENCODED) && !type.startsWith(MULTIPART)) return UNSUPPORTED;
  const form = await readForm(contentType, raw);
  if (!form.ok && form.reason === "too many arguments") return TOO_MANY;
  const value = nestArguments(form.ok ? form.fields : []);
  return { ok: true, value: target === null ? value : inferBody(value, target) };
}

/**
 * The fields of a url-encoded or multipart form (POST /config reads its `config` field with
 * this too); `malformed` for a multipart body that cannot be parsed or another type.
 */
export function readForm(contentType: string | undefined, raw: Buffer): Promise<FormRead> {
  const type = mediaType(contentType);
  if (type.startsWith(URLENCODED)) return Promise.resolve(readUrlEncoded(raw.toString("latin1")));
  if (type.startsWith(MULTIPART)) return readMultipart(contentType!, raw);
  return Promise.resolve({ ok: false, reason: "malformed" });
}

/**
 * ngx's get_post_args, which Kong reads url-encoded bodies with: `&`-separated pairs, `+`
 * and `%XX` unescaped (malformed escapes kept as sent), a name without `=` is `true`, pairs
 * with an empty name are skipped. Not busboy's url-encoded parser: it makes `name` and
 * `name=` the same empty string.
 */
function readUrlEncoded(text: string): FormRead {
  const fields: FormField[] = [];
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = unescapeComponent(eq < 0 ? pair : pair.slice(0, eq));
    if (name === "") continue;
    if (fields.length === MAX_FORM_ARGUMENTS) return { ok: false, reason: "too many arguments" };
    fields.push({ name, value: eq < 0 ? true : unescapeComponent(pair.slice(eq + 1)) });
  }
  return { ok: true, fields };
}

/** `%XX` bytes and `+` of a url-encoded component, as UTF-8 text (the body was read as latin1). */
function unescapeComponent(latin1: string): string {
  const bytes = latin1
    .replace(/\+/g, " ")
    .replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

/**
 * A multipart form through busboy: fields and file parts alike give their text (Kong reads
 * a file part's content), parts without a name are skipped. Names are UTF-8; values are
 * not size-limited here (the body already is).
 */
function readMultipart(contentType: string, raw: Buffer): Promise<FormRead> {
  return new Promise((resolve) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { "content-type": contentType },
        defParamCharset: "utf8",
        limits: { fieldSize: Number.POSITIVE_INFINITY, parts: MAX_FORM_ARGUMENTS + 1 },
      });
    } catch {
      resolve({ ok: false, reason: "malformed" });
      return;
    }
    const fields: Array<{ name: string | undefined; value: string }> = [];
    let tooMany = false;
    parser.on("field", (name, value) => {
      fields.push({ name, value });
    });
    parser.on("file", (name, stream) => {
      const field = { name, value: "" };
      fields.push(field);
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        field.value = Buffer.concat(chunks).toString("utf8");
      });
      // a broken form ends the file with an error; the parser reports it below
      stream.on("error", () => {});
    });
    parser.on("partsLimit", () => {
      tooMany = true;
    });
    parser.on("error", () => resolve({ ok: false, reason: "malformed" }));
    parser.on("close", () => {
      if (tooMany) resolve({ ok: false, reason: "too many arguments" });
      else
        resolve({
          ok: true,
          fields: fields.flatMap(({ name, value }) => (name === undefined ? [] : [{ name, value }])),
        });
    });
    parser.end(raw);
  });
}
