/**
 * The entity kinds and their relations, as the registry (config/entities/) derives them from the
 * entity files: which collections nest in which, foreign keys, endpoint keys, cache keys, unique
 * fields.
 */
export {
  isKindName,
  KIND_NAMES,
  KINDS,
  type KindName,
  type KindSpec,
  NESTED_CHILDREN,
} from "./entities/index.js";
