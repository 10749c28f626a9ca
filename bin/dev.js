#!/usr/bin/env -S node --import tsx
// `stack` from the TypeScript sources (src/), without a build: tsx compiles each module as it is
// imported; commands and hooks are read from src/ and oclif.manifest.json is ignored.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { main } from "../src/cli/main.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const pjson = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
pjson.oclif.commands = "./src/commands";
pjson.oclif.hooks = Object.fromEntries(
  Object.entries(pjson.oclif.hooks ?? {}).map(([event, file]) => [
    event,
    file.replace(/^\.\/dist\//, "./src/").replace(/\.js$/, ".ts"),
  ]),
);
await main({ root, development: { pjson } });
