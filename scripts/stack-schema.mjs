#!/usr/bin/env node
/**
 * Publishes the stack.yaml schema from its one source, src/stack/schema.ts (run through
 * `npm run schema`, which builds dist/ first):
 *  - schema/stack.schema.json, the JSON Schema editors use (yaml-language-server);
 *  - the "stack.yaml reference" table in README.md, between its generated-block markers.
 * test/stack/json-schema.test.ts fails when either is out of date.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const { stackJsonSchemaText, STACK_SCHEMA_FILE } = await import("../dist/stack/json-schema.js");
const { renderStackReferenceBlock, normalizeMarkdownTable, REFERENCE_START, REFERENCE_END } = await import(
  "../dist/stack/reference.js"
);

async function writeAtomically(path, content) {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, content);
  await rename(temp, path);
}

const schemaPath = fileURLToPath(new URL(`../${STACK_SCHEMA_FILE}`, import.meta.url));
await writeAtomically(schemaPath, stackJsonSchemaText());
process.stdout.write(`wrote ${STACK_SCHEMA_FILE}\n`);

const readmePath = fileURLToPath(new URL("../README.md", import.meta.url));
const readme = await readFile(readmePath, "utf8");
const start = readme.indexOf(REFERENCE_START);
const end = readme.indexOf(REFERENCE_END);
if (start < 0 || end < start) {
  process.stderr.write("README.md has no stack.yaml reference markers; add them where the table belongs\n");
  process.exit(1);
}
const current = readme.slice(start, end + REFERENCE_END.length);
const block = renderStackReferenceBlock();
// A Markdown formatter may pad the table: only a change of content rewrites it.
const stale = normalizeMarkdownTable(current) !== normalizeMarkdownTable(block);
if (stale) {
  await writeAtomically(
    readmePath,
    readme.slice(0, start) + block + readme.slice(end + REFERENCE_END.length),
  );
}
process.stdout.write(`${stale ? "updated" : "unchanged"} README.md stack.yaml reference\n`);
