import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const pkg = require("../package.json") as { version: string };

/**
 * This package's version: the gateway image tag, the Admin API's `version`, the label on what `stack up`
 * creates. Its own module so the gateway (src/gateway/) can name it without importing the stack model.
 */
export const GATESTACK_VERSION: string = pkg.version;
