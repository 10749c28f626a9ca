import type { InitOptions } from "../../src/stack/init.js";

/** The smallest valid stack.yaml; tests edit it to make one problem at a known line:col. */
export const MINIMAL_STACK_YAML = `name: demo
template: monolith
services:
  - name: app
    routes:
      - name: api
        paths: [/api]
`;

/** `stack init --yes` options for `dir` (monolith, localhost, no addons), with overrides. */
export function initOptions(dir: string, extra: Partial<InitOptions> = {}): InitOptions {
  return {
    dir,
    template: "monolith",
    name: "demo",
    domain: "localhost",
    https: "auto",
    httpPort: 80,
    httpsPort: 443,
    addons: [],
    force: false,
    ...extra,
  };
}
