/**
 * Declarative text → document. JSON is tried first when the text looks like JSON, then
 * YAML read as Kong's libyaml-based loader reads it: YAML 1.1 booleans (yes/no/on/off),
 * `~`/null, merge keys (`<<`), timestamps left as strings, duplicate keys rejected.
 *
 * js-yaml is used for speed (a 10,000-route kong.yml parses ~10× faster than with the
 * `yaml` package). It resolves aliases by reference, so a document's expanded size is
 * bounded separately (the "billion laughs" guard): expansion beyond a few times the text
 * size is refused.
 */
import { createRequire } from "node:module";
import type * as JsYaml from "js-yaml";

export type ParsedText = { ok: true; doc: unknown } | { ok: false; error: string };

// y/n are left out (as PyYAML does): they are too often keys or plain values.
const BOOL_TRUE = new Set(["yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]);
const BOOL_FALSE = new Set(["no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]);

const requireCjs = createRequire(import.meta.url);
let kongYaml: { jsYaml: typeof JsYaml; schema: JsYaml.Schema } | null = null;

/**
 * js-yaml and the schema Kong's loader reads with: the core schema plus YAML 1.1 booleans
 * and `<<` merge keys. Loaded on the first YAML text (a JSON-only gateway never loads it).
 */
function yamlLoader(): { jsYaml: typeof JsYaml; schema: JsYaml.Schema } {
  if (kongYaml !== null) return kongYaml;
  const jsYaml = requireCjs("js-yaml") as typeof JsYaml;
  const yaml11Bool = new jsYaml.Type("tag:yaml.org,2002:bool", {
    kind: "scalar",
    resolve: (data: unknown) => typeof data === "string" && (BOOL_TRUE.has(data) || BOOL_FALSE.has(data)),
    construct: (data: string) => BOOL_TRUE.has(data),
    predicate: (v: unknown) => typeof v === "boolean",
    represent: { lowercase: (v: unknown) => (v ? "true" : "false") },
    defaultStyle: "lowercase",
  });
  const mergeKey = new jsYaml.Type("tag:yaml.org,2002:merge", {
    kind: "scalar",
    resolve: (data: unknown) => data === "<<",
  });
  kongYaml = { jsYaml, schema: jsYaml.CORE_SCHEMA.extend({ implicit: [yaml11Bool, mergeKey] }) };
  return kongYaml;
}

/** Nodes a document may expand to through aliases: a few times its text size. */
function expansionLimit(textLength: number): number {
  return textLength * 4 + 10_000;
}

/** true when walking `doc` (aliases followed) visits more than `limit` nodes. */
function expandsBeyond(doc: unknown, limit: number): boolean {
  let visited = 0;
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (++visited > limit) return true;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === "object") {
      for (const x of Object.values(v)) stack.push(x);
    }
  }
  return false;
}

export function parseDocumentText(text: string): ParsedText {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return { ok: true, doc: JSON.parse(text) };
    } catch {
      // not strict JSON: YAML flow syntax is a superset, try that below
    }
  }
  let doc: unknown;
  try {
    const { jsYaml, schema } = yamlLoader();
    doc = jsYaml.load(text, { schema, json: false });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, error: message.split("\n")[0] ?? message };
  }
  if (text.includes("*") && expandsBeyond(doc, expansionLimit(text.length))) {
    return { ok: false, error: "the document expands too much through aliases (resource exhaustion guard)" };
  }
  return { ok: true, doc: doc === undefined ? null : doc };
}
