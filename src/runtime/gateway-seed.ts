/**
 * `stack up` of a stack in database mode (`gateway.database: postgres`): once the gateways are
 * healthy, the rendered gateway.yaml is synced into the database through one gateway's Admin API
 * (`stack gateway sync`, decK's approach: the stack's entities carry the select tag, what was
 * created through the Admin API since is left alone). The Admin API is not published on the
 * host, so the sync runs inside a gateway container — its image holds the CLI, the rendered file
 * is mounted at /etc/gateway and GATEWAY_ADMIN_TOKEN is in its environment.
 */
import type Dockerode from "dockerode";
import { errorMessage, GatestackError } from "../errors.js";
import type { SyncResult } from "../gateway-client/sync.js";
import { GATEWAY_CONFIG_PATH, PORTS } from "../render/topology.js";
import { usesDatabase } from "../stack/database.js";
import type { StackConfig } from "../stack/schema.js";
import { type ActualContainer, listProjectContainers } from "./actual.js";
import { readAttachedOutput } from "./log-frames.js";
import type { Reporter } from "./progress.js";

export interface ExecOutcome {
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command in a container to its end (Docker exec; a local process in tests). */
export type ContainerRun = (containerId: string, cmd: string[], timeoutMs: number) => Promise<ExecOutcome>;

export interface SeedOptions {
  docker: Dockerode;
  stack: Pick<StackConfig, "gateway">;
  project: string;
  reporter: Reporter;
  /** false (`up --no-wait`): the gateways may not answer yet, the sync is left to the user */
  wait: boolean;
  timeoutMs?: number;
  /** tests: the containers and the exec */
  containers?: () => Promise<ActualContainer[]>;
  run?: ContainerRun;
}

/** The command run in the gateway container. */
export const SEED_COMMAND: readonly string[] = [
  "node",
  "bin/run.js",
  "gateway",
  "sync",
  GATEWAY_CONFIG_PATH,
  "--admin-url",
  `http://127.0.0.1:${PORTS.gatewayAdmin}`,
  "--json",
];

const MANUAL = `docker exec <gateway container> ${SEED_COMMAND.slice(0, -1).join(" ")}`;

/** The sync's result, or null when the stack is DB-less (nothing to seed) or it was skipped. */
export async function seedGatewayDatabase(opts: SeedOptions): Promise<SyncResult | null> {
  if (!usesDatabase(opts.stack)) return null;
  const task = opts.reporter.task("gateway-sync", "Sync gateway.yaml into the gateway database");
  if (opts.stack.gateway.engine === "kong") {
    task.skip("gateway.engine kong: sync with decK (`deck gateway sync`)");
    return null;
  }
  if (!opts.wait) {
    task.skip(`--no-wait: run \`${MANUAL}\` once the gateways are healthy`);
    return null;
  }
  task.running();
  const containers = await (opts.containers ?? (() => listProjectContainers(opts.docker, opts.project)))();
  const gateway = containers.find((c) => c.service === "gateway" && c.state === "running");
  if (!gateway) {
    task.fail("no running gateway container");
    throw new GatestackError(
      "E_STACK_NOT_RUNNING",
      "no gateway container is running to sync gateway.yaml into",
      {
        hint: "check `stack ps` and `stack logs gateway`",
      },
    );
  }
  const run = opts.run ?? dockerRun(opts.docker);
  const outcome = await run(gateway.id, [...SEED_COMMAND], opts.timeoutMs ?? 120_000).catch(
    (e: unknown): ExecOutcome => ({ stdout: "", stderr: `docker exec: ${errorMessage(e)}`, timedOut: false }),
  );
  const parsed = parseJson(outcome.stdout);
  // `--json`: the result, or `{"error":{…}}` (exit 1), on stdout
  if (parsed !== null && "summary" in parsed) {
    const result = parsed as unknown as SyncResult;
    const s = result.summary;
    task.done(`${s.create} created, ${s.update} updated, ${s.delete} deleted, ${s.unchanged} unchanged`);
    return result;
  }
  const error = (parsed?.error ?? null) as { message?: string; hint?: string } | null;
  const why = outcome.timedOut
    ? "timed out"
    : (error?.message ?? (outcome.stderr.trim().split("\n").pop() || "no answer"));
  task.fail(why);
  throw new GatestackError(
    "E_GATEWAY_ADMIN",
    `syncing gateway.yaml into the gateway database failed: ${why}`,
    {
      place: gateway.name,
      hint: `${error?.hint ? `${error.hint}; ` : ""}the containers keep running — fix it and run \`stack up\` again, or \`${MANUAL}\``,
    },
  );
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Docker exec, attached, its output read to the end (or the timeout). */
function dockerRun(docker: Dockerode): ContainerRun {
  return async (containerId, cmd, timeoutMs) => {
    const exec = await docker
      .getContainer(containerId)
      .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    return readAttachedOutput(stream, timeoutMs);
  };
}
