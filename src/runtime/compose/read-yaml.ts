/**
 * Reads one Compose YAML file into a plain tree, keeping Compose's `!reset` / `!override` tags as
 * marker values and resolving anchors, aliases and `<<` merge keys. Syntax errors name file:line:col.
 */
import { readFile } from "node:fs/promises";
import {
  type CollectionTag,
  type Document,
  isNode,
  parseDocument,
  Scalar,
  type ScalarTag,
  visit,
  YAMLMap,
  YAMLSeq,
} from "yaml";
import { OverrideValue, ResetValue } from "./markers.js";

export class ComposeFileError extends Error {
  constructor(
    message: string,
    readonly place: string,
  ) {
    super(message);
    this.name = "ComposeFileError";
  }
}

const MERGE_TAGS = ["!reset", "!override"] as const;

// Accept the tags on scalars, sequences and mappings; resolution happens in markTaggedNodes().
const customTags = MERGE_TAGS.flatMap(
  (tag): Array<ScalarTag | CollectionTag> => [
    { tag, identify: () => false, resolve: (s: string) => s },
    { tag, collection: "seq", nodeClass: YAMLSeq, identify: () => false },
    { tag, collection: "map", nodeClass: YAMLMap, identify: () => false },
  ],
);

export function parseComposeYaml(text: string, displayName: string): Record<string, unknown> {
  const doc = parseDocument(text, { merge: true, customTags, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const place = pos ? `${displayName}:${pos.line}:${pos.col}` : displayName;
    throw new ComposeFileError(first.message.split("\n")[0] ?? "invalid YAML", place);
  }
  markTaggedNodes(doc);
  const tree: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (tree === null || tree === undefined) return {};
  if (typeof tree !== "object" || Array.isArray(tree)) {
    throw new ComposeFileError("top level must be a mapping (services:, networks:, volumes:…)", displayName);
  }
  return tree as Record<string, unknown>;
}

export async function readComposeYaml(file: string, displayName: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ComposeFileError(`cannot read: ${(err as Error).message}`, displayName);
  }
  return parseComposeYaml(text, displayName);
}

function markTaggedNodes(doc: Document): void {
  visit(doc, {
    Node(_key, node) {
      if (!isNode(node)) return undefined;
      if (node.tag === "!reset") return new Scalar(new ResetValue());
      if (node.tag === "!override") {
        node.tag = undefined;
        return new Scalar(new OverrideValue(node.toJS(doc)));
      }
      return undefined;
    },
  });
}
