#!/usr/bin/env node
/**
 * `npm run snapshot:update`: builds, then rewrites command-snapshot.json (every command of `stack`,
 * its flags, aliases and plugin; src/cli/command-snapshot.ts) from the compiled commands. Commit the
 * result with the change that added or changed a command or a flag: test/cli/command-snapshot.test.ts
 * fails while the file and the CLI differ, so an accidental change to the CLI cannot pass unnoticed.
 * `--check` writes nothing and exits 1 when the file is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { commandSnapshot, formatCommandSnapshot } from "../dist/cli/command-snapshot.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const file = `${root}command-snapshot.json`;
const text = formatCommandSnapshot(await commandSnapshot(root));
let previous = "";
try {
  previous = readFileSync(file, "utf8");
} catch {
  // first run: no snapshot yet
}
if (process.argv.includes("--check")) {
  if (previous !== text) {
    console.error("command-snapshot.json is out of date: run `npm run snapshot:update` and commit it");
    process.exit(1);
  }
  console.log("command-snapshot.json is up to date");
} else if (previous === text) {
  console.log("command-snapshot.json: unchanged");
} else {
  writeFileSync(file, text);
  console.log(`command-snapshot.json: ${JSON.parse(text).length} commands written`);
}
