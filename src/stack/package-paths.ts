import { fileURLToPath } from "node:url";

/** This package's root folder (the same from src/ under vitest and from dist/ when installed). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The starters `stack init` copies: stacks/<template>/services/<name>. */
export const STACKS_DIR = fileURLToPath(new URL("../../stacks/", import.meta.url));

/** The published JSON Schema of stack.yaml. */
export const STACK_SCHEMA_PATH = fileURLToPath(new URL("../../schema/stack.schema.json", import.meta.url));
