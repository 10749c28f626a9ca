import { isAbsolute, normalize } from "node:path";
import { STACK_SCHEMA_COPY_PATH } from "../stack/json-schema.js";
import type { StackConfig } from "../stack/schema.js";
import { KUBERNETES_DIR, SWARM_DIR } from "./targets.js";
import { serviceSource } from "./topology.js";

/** Files the user owns: `stack render` never writes or removes them. */
export const USER_OWNED_FILES = ["stack.yaml", ".env", "compose.override.yaml"] as const;

/** Where generated files may live (relative to the stack folder). */
const GENERATED_FILES = new Set(["compose.yaml", "Jenkinsfile", STACK_SCHEMA_COPY_PATH]);
const GENERATED_DIRS = ["config/", `${KUBERNETES_DIR}/`, `${SWARM_DIR}/`];

/** A clean relative path inside the stack folder ("a/b", no "..", not absolute). */
export function isSafeRelativePath(path: string): boolean {
  if (path === "" || isAbsolute(path) || path.includes("\\")) return false;
  const normalized = normalize(path);
  return normalized === path && !normalized.startsWith("..") && !normalized.split("/").includes("..");
}

/** True for paths `stack render` may write or remove: the generated namespace, never user files. */
export function isGeneratedPath(path: string, stack?: StackConfig): boolean {
  if (!isSafeRelativePath(path)) return false;
  if ((USER_OWNED_FILES as readonly string[]).includes(path) || path.startsWith("services/")) return false;
  if (stack?.services.some((s) => path === serviceSource(s) || path.startsWith(`${serviceSource(s)}/`)))
    return false;
  return GENERATED_FILES.has(path) || GENERATED_DIRS.some((d) => path.startsWith(d));
}
