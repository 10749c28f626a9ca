import { STACK_SCHEMA_COPY_PATH, stackSchemaCopyText } from "../stack/json-schema.js";
import type { Artifact } from "./types.js";

/** .gatestack/stack.schema.json: the schema stack.yaml's modeline names, current with this gatestack. */
export function renderStackSchema(): Artifact {
  return { path: STACK_SCHEMA_COPY_PATH, content: stackSchemaCopyText() };
}
