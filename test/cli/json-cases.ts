/**
 * How test/cli/json-output.test.ts runs each command with --json: at least one case per command that
 * has the flag (the test fails naming a command without one). Each case's stdout is validated against
 * schema/commands/<id, spaces as dashes>.schema.json — or, for a case that `fails`, against
 * schema/error.schema.json. Adding a command: add its schema file and a case here.
 */

/** What the test prepares once for every case. */
export interface JsonCaseContext {
  /** A temp folder of this test file (removed afterwards): cases may create things in it. */
  tmp: string;
  /** A stack folder made by `stack init --template monolith` and rendered; not running. */
  stackDir: string;
  /** Its project name. */
  stackName: string;
  /** A valid Kong declarative file (one service, one route, one consumer). */
  kongFile: string;
  /** A gateway in database mode on a real PostgreSQL; its admin token is GATEWAY_ADMIN_TOKEN in `env`. */
  adminUrl: string;
  /** KONG_PG_* of a bootstrapped database (for `stack gateway migrations`). */
  pgEnv: Record<string, string>;
  /** DOCKER_HOST of an engine that does not answer. */
  noEngine: string;
  /** DOCKER_HOST of a stand-in engine where the stack has an `app` container that wrote three lines. */
  engineWithLogs: string;
  /** Environment every case gets (NO_COLOR, GATEWAY_ADMIN_TOKEN). */
  env: Record<string, string>;
}

export interface JsonCase {
  /** What the case shows (the test's name is `stack <id> --json: <name>`). */
  name: string;
  /** The arguments after `stack` (include --json). */
  argv: (ctx: JsonCaseContext) => string[];
  env?: (ctx: JsonCaseContext) => Record<string, string>;
  /** "document" (default): stdout is one JSON document; "lines": one JSON object per line. */
  output?: "document" | "lines";
  /** The run fails: its (last) document is the error document. */
  fails?: boolean;
  exitCode?: number;
  /** At least this many lines ("lines" output). */
  minLines?: number;
}

/** An OpenAPI 3.1 document (one operation) for `stack import openapi`. */
const OPENAPI_FIXTURE = new URL("../support/openapi-items.json", import.meta.url).pathname;

const gatewayAdmin = (ctx: JsonCaseContext) => ["--admin-url", ctx.adminUrl];

/** Keyed by oclif's command id (`gateway:sync`). */
export const JSON_CASES: Record<string, JsonCase[]> = {
  "autocomplete:fish": [
    { name: "the fish completion script", argv: () => ["autocomplete", "fish", "--json"] },
  ],
  config: [
    {
      name: "the resolved model of a rendered stack",
      argv: (c) => ["config", "--dir", c.stackDir, "--json"],
    },
    { name: "--services: the names", argv: (c) => ["config", "--dir", c.stackDir, "--services", "--json"] },
    {
      name: "a profile no file defines",
      argv: (c) => ["config", "--dir", c.stackDir, "--profile", "nope", "--json"],
      fails: true,
      exitCode: 2,
    },
  ],
  exec: [
    {
      name: "a service without a container (stand-in engine)",
      argv: (c) => ["exec", "--dir", c.stackDir, "--json", "caddy", "--", "true"],
      env: (c) => ({ DOCKER_HOST: c.engineWithLogs }),
      fails: true,
      exitCode: 1,
    },
  ],
  restart: [
    {
      name: "a service without containers: nothing to restart (stand-in engine)",
      argv: (c) => ["restart", "caddy", "--dir", c.stackDir, "--json"],
      env: (c) => ({ DOCKER_HOST: c.engineWithLogs }),
    },
  ],
  start: [
    {
      name: "app already running (stand-in engine)",
      argv: (c) => ["start", "app", "--dir", c.stackDir, "--json"],
      env: (c) => ({ DOCKER_HOST: c.engineWithLogs }),
    },
  ],
  stop: [
    {
      name: "a service without containers: nothing to stop (stand-in engine)",
      argv: (c) => ["stop", "caddy", "--dir", c.stackDir, "--json"],
      env: (c) => ({ DOCKER_HOST: c.engineWithLogs }),
    },
  ],
  deploy: [
    {
      name: "no engine: progress lines, then the error as the result line",
      argv: (c) => ["deploy", "--dir", c.stackDir, "--json"],
      env: (c) => ({ DOCKER_HOST: c.noEngine }),
      output: "lines",
      fails: true,
      exitCode: 1,
    },
  ],
  doctor: [
    {
      // a report, not an error document: the engine check fails (the real engine's verdict depends on the machine)
      name: "no engine: the report says so, exit 2",
      argv: (c) => ["doctor", "--dir", c.stackDir, "--timeout", "1", "--json"],
      env: (c) => ({ DOCKER_HOST: c.noEngine }),
      exitCode: 2,
    },
  ],
  down: [
    {
      name: "nothing to remove (stand-in engine without the stack's containers)",
      argv: (c) => ["down", "--dir", c.stackDir, "--json"],
      env: (c) => ({ DOCKER_HOST: c.engineWithLogs }),
    },
  ],
  "gateway:dump": [
    { name: "a gateway in database mode", argv: (c) => ["gateway", "dump", ...gatewayAdmin(c), "--json"] },
  ],
  "gateway:convert": [
    {
      name: "a 2.x file converted to stdout",
      argv: () => [
        "gateway",
        "convert",
        new URL("../support/kong-2x.yml", import.meta.url).pathname,
        "--json",
      ],
    },
  ],
  "gateway:diff": [
    {
      name: "a file the gateway does not hold: exit 2 with the differences",
      argv: (c) => [
        "gateway",
        "diff",
        new URL("../support/kong-never-synced.yml", import.meta.url).pathname,
        ...gatewayAdmin(c),
        "--json",
      ],
      exitCode: 2,
    },
  ],
  "gateway:ping": [
    { name: "a gateway in database mode", argv: (c) => ["gateway", "ping", ...gatewayAdmin(c), "--json"] },
    {
      name: "nothing answers: exit 1, the replica unreachable",
      argv: () => ["gateway", "ping", "--admin-url", "http://127.0.0.1:9", "--json"],
      exitCode: 1,
    },
  ],
  "gateway:migrations": [
    {
      name: "status of a bootstrapped database",
      argv: () => ["gateway", "migrations", "status", "--json"],
      env: (c) => c.pgEnv,
    },
    {
      name: "no database: the error document",
      argv: () => ["gateway", "migrations", "status", "--json", "--pg-host", "127.0.0.1", "--pg-port", "9"],
      fails: true,
      exitCode: 1,
    },
  ],
  "gateway:serve": [
    {
      name: "a missing configuration file: the error document",
      argv: (c) => ["gateway", "serve", "--config", `${c.tmp}/missing.yml`, "--json"],
      fails: true,
      exitCode: 1,
    },
  ],
  "gateway:sync": [
    {
      name: "--dry-run",
      argv: (c) => ["gateway", "sync", c.kongFile, ...gatewayAdmin(c), "--dry-run", "--json"],
    },
  ],
  "gateway:validate": [
    { name: "a valid file", argv: (c) => ["gateway", "validate", c.kongFile, "--json"] },
    {
      name: "a missing file: the error document",
      argv: (c) => ["gateway", "validate", `${c.tmp}/missing.yml`, "--json"],
      fails: true,
      exitCode: 1,
    },
  ],
  health: [
    {
      name: "not running: the error document",
      argv: (c) => ["health", "--dir", c.stackDir, "--json"],
      env: (c) => ({ DOCKER_HOST: c.noEngine }),
      fails: true,
      exitCode: 2,
    },
  ],
  "import:openapi": [
    {
      name: "--dry-run from an OpenAPI file",
      argv: (c) => [
        "import",
        "openapi",
        OPENAPI_FIXTURE,
        "--service",
        "app",
        "--dir",
        c.stackDir,
        "--dry-run",
        "--json",
      ],
    },
    {
      name: "a missing document: the error document",
      argv: (c) => [
        "import",
        "openapi",
        `${c.tmp}/missing.json`,
        "--service",
        "app",
        "--dir",
        c.stackDir,
        "--json",
      ],
      fails: true,
      exitCode: 1,
    },
  ],
  images: [
    {
      name: "the stack's images (stand-in engine)",
      argv: (c) => ["images", "--dir", c.stackDir, "--json"],
      env: (c) => ({ DOCKER_HOST: c.engineWithLogs }),
    },
  ],
  init: [
    {
      name: "a new monolith stack",
      argv: (c) => ["init", `${c.tmp}/init-case`, "--template", "monolith", "--yes", "--json"],
    },
  ],
  logs: [
    {
      name: "one JSON object per log line",
      argv: (c) => ["logs", "--dir", c.stackDir, "--json"],
      env: (c) => ({ DOCKER_HOST: c.engineWithLogs }),
      output: "lines",
      minLines: 3,
    },
    {
      name: "no engine: the error as a result line",
      argv: (c) => ["logs", "--dir", c.stackDir, "--json"],
      env: (c) => ({ DOCKER_HOST: c.noEngine }),
      output: "lines",
      fails: true,
      exitCode: 1,
    },
  ],
  ps: [
    {
      name: "the stack's containers (stand-in engine)",
      argv: (c) => ["ps", "--dir", c.stackDir, "--json"],
      env: (c) => ({ DOCKER_HOST: c.engineWithLogs }),
    },
  ],
  render: [
    {
      name: "--check of a rendered stack",
      argv: (c) => ["render", "--dir", c.stackDir, "--check", "--json"],
    },
    { name: "--dry-run", argv: (c) => ["render", "--dir", c.stackDir, "--dry-run", "--json"] },
  ],
  schema: [{ name: "the stack.yaml schema", argv: () => ["schema", "--json"] }],
  up: [
    {
      name: "no engine: progress lines, then the error as the result line",
      argv: (c) => ["up", "--dir", c.stackDir, "--json"],
      env: (c) => ({ DOCKER_HOST: c.noEngine }),
      output: "lines",
      fails: true,
      exitCode: 1,
      minLines: 2,
    },
  ],
  validate: [
    { name: "a valid stack", argv: (c) => ["validate", "--dir", c.stackDir, "--json"] },
    {
      name: "--openapi-file: routes against an OpenAPI document, findings as warnings",
      argv: (c) => ["validate", "--dir", c.stackDir, "--openapi-file", `app=${OPENAPI_FIXTURE}`, "--json"],
    },
  ],
  version: [{ name: "oclif's version document", argv: () => ["version", "--json"] }],
};
