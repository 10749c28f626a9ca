/**
 * Declarative text → document. JSON is tried first when the text looks like JSON (it is
 * much faster for big configurations), then YAML 1.1 as Kong's libyaml reads it (yes/no/
 * on/off booleans, merge keys), with alias expansion bounded against "billion laughs".
 */
import { parse as parseYaml, YAMLParseError } from "yaml";

export type ParsedText = { ok: true; doc: unknown } | { ok: false; error: string };

export function parseDocumentText(text: string): ParsedText {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return { ok: true, doc: JSON.parse(text) };
    } catch {
      // not strict JSON: YAML flow syntax is a superset, try that below
    }
  }
  try {
    const doc = parseYaml(text, {
      version: "1.1",
      merge: true,
      maxAliasCount: 1000,
      prettyErrors: true,
      uniqueKeys: true,
    });
    return { ok: true, doc: doc === undefined ? null : doc };
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const first = e.message.split("\n")[0] ?? e.message;
      return { ok: false, error: first };
    }
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
