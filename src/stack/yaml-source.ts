import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import { GatestackError } from "../errors.js";

/** A key path into a YAML document: map keys and sequence indexes. */
export type KeyPath = readonly (string | number)[];

export interface Position {
  line: number;
  col: number;
}

/** A parsed YAML file that can map a key path back to `line:col`. */
export interface YamlSource {
  /** How the file is named in messages (e.g. `stack.yaml` or `demo/stack.yaml`). */
  file: string;
  /** The plain data (aliases and merge keys resolved). */
  data: unknown;
  /** Position of the value at `path`, or of its key with `{ key: true }`; falls back to the deepest ancestor found. */
  locate(path: KeyPath, opts?: { key?: boolean }): Position;
}

/** Parse YAML keeping node ranges; a syntax error throws E_YAML_SYNTAX naming `file:line:col`. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const positionOf = (offset: number): Position => lineCounter.linePos(offset);
  const firstError = doc.errors[0];
  if (firstError) {
    const { line, col } = positionOf(firstError.pos[0]);
    throw new GatestackError("E_YAML_SYNTAX", `invalid YAML: ${oneLine(firstError.message)}`, {
      place: `${file}:${line}:${col}`,
      hint: "fix the YAML syntax (indentation, quotes, ':' after keys)",
    });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new GatestackError("E_YAML_SYNTAX", `invalid YAML: ${oneLine(String(err))}`, {
      place: `${file}:1:1`,
    });
  }
  return {
    file,
    data,
    locate: (path, opts = {}) => positionOf(offsetOf(doc, path, opts.key === true)),
  };
}

function offsetOf(doc: Document, path: KeyPath, wantKey: boolean): number {
  let node: Node | null | undefined = doc.contents as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (const [index, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc) as Node | undefined;
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(segment));
      if (!pair) return offset;
      const keyNode = pair.key as Node | null;
      const valueNode = pair.value as Node | null;
      const keyOffset = keyNode?.range?.[0] ?? offset;
      if (last && wantKey) return keyOffset;
      node = valueNode;
      offset = valueNode?.range?.[0] ?? keyOffset;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | null | undefined;
      if (!item) return offset;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === "string" ? key : undefined;
}

function oneLine(message: string): string {
  return message.split("\n")[0]!.trim();
}
