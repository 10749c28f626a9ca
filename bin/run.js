#!/usr/bin/env node
import { fileURLToPath } from "node:url";
import { main } from "../dist/cli/main.js";

await main({ root: fileURLToPath(new URL("..", import.meta.url)) });
