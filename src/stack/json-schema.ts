import { z } from "zod";
import { stackSchema } from "./schema.js";
import type { KeyPath } from "./yaml-source.js";

/** A JSON Schema node, as far as we read it. */
export interface JsonSchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  additionalProperties?: boolean | JsonSchemaNode;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  [key: string]: unknown;
}

/** Where the schema is published in this package (and what `npm run schema` writes). */
export const STACK_SCHEMA_FILE = "schema/stack.schema.json";

let cached: JsonSchemaNode | undefined;

/** The JSON Schema of what users may write in stack.yaml (zod's input side: defaults are optional). */
export function stackJsonSchema(): JsonSchemaNode {
  cached ??= {
    title: "gatestack stack.yaml",
    ...(z.toJSONSchema(stackSchema, { io: "input", unrepresentable: "any" }) as JsonSchemaNode),
  };
  return cached;
}

/** The exact text of schema/stack.schema.json. */
export function stackJsonSchemaText(): string {
  return `${JSON.stringify(stackJsonSchema(), null, 2)}\n`;
}

/** Alternatives of a node (a union's branches, or the node itself). */
export function branches(node: JsonSchemaNode): JsonSchemaNode[] {
  const alternatives = node.anyOf ?? node.oneOf;
  return alternatives ? alternatives.flatMap(branches) : [node];
}

/** The schema nodes describing the value at `path` (several when unions are involved). */
export function schemaNodesAt(path: KeyPath, root: JsonSchemaNode = stackJsonSchema()): JsonSchemaNode[] {
  let nodes = branches(root);
  for (const segment of path) {
    nodes = nodes.flatMap((node): JsonSchemaNode[] => {
      if (typeof segment === "number") return node.items ? branches(node.items) : [];
      const property = node.properties?.[segment];
      if (property) return branches(property);
      const extra = node.additionalProperties;
      return typeof extra === "object" ? branches(extra) : [];
    });
  }
  return nodes;
}

/** The keys an object at `path` may have (empty when the path is not a fixed-key object). */
export function allowedKeysAt(path: KeyPath, root: JsonSchemaNode = stackJsonSchema()): string[] {
  const keys = new Set<string>();
  for (const node of schemaNodesAt(path, root))
    for (const key of Object.keys(node.properties ?? {})) keys.add(key);
  return [...keys];
}
