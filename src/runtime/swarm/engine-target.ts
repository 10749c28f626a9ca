/**
 * Which engine a Swarm command talks to: `--host URL` (DOCKER_HOST's forms: unix://, tcp://, ssh://),
 * `--context NAME` (a `docker context`), else DOCKER_HOST / DOCKER_CONTEXT / the local socket as the
 * docker CLI would choose. The same engine is reached by dockerode (the Engine API: images, secrets,
 * services, tasks) and by the docker CLI (`docker stack deploy|rm`), through the environment given.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type Docker from "dockerode";
import { execa } from "execa";
import { GatestackError } from "../../errors.js";

export interface EngineTarget {
  docker: Docker;
  /** environment for the docker CLI, so it reaches the same engine */
  cliEnv: Record<string, string>;
  /** how the target was named, for messages */
  description: string;
}

export interface EngineTargetOptions {
  host?: string;
  context?: string;
  env?: Record<string, string | undefined>;
}

type DockerodeOptions = ConstructorParameters<typeof Docker>[0];

/** dockerode options for a DOCKER_HOST-style URL. */
export function dockerodeOptionsFor(host: string, tlsDir?: string): DockerodeOptions {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw usage(
      `not an engine address: "${host}" (expected unix:///path, tcp://host:port or ssh://user@host)`,
    );
  }
  switch (url.protocol) {
    case "unix:":
      return { socketPath: url.pathname };
    case "tcp:":
    case "http:":
    case "https:": {
      const tls = tlsDir !== undefined || url.protocol === "https:";
      const port = url.port === "" ? (tls ? 2376 : 2375) : Number(url.port);
      return {
        host: url.hostname,
        port,
        protocol: tls ? "https" : "http",
        ...(tlsDir !== undefined ? tlsFiles(tlsDir) : {}),
      };
    }
    case "ssh:":
      return {
        protocol: "ssh",
        host: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      };
    default:
      throw usage(`unsupported engine address scheme "${url.protocol}" in "${host}"`);
  }
}

function tlsFiles(dir: string): { ca: string; cert: string; key: string } {
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return { ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem") };
}

function usage(message: string): GatestackError {
  return new GatestackError("E_USAGE", message, { place: "--host", exitCode: 2 });
}

interface ContextEndpoint {
  Host: string;
  SkipTLSVerify?: boolean;
}

/** The docker endpoint and TLS folder of a `docker context` (via the docker CLI, which owns that store). */
async function inspectContext(name: string): Promise<{ host: string; tlsDir?: string }> {
  const r = await execa("docker", ["context", "inspect", name], { reject: false });
  if (r.exitCode !== 0) {
    throw new GatestackError(
      "E_USAGE",
      `no docker context "${name}": ${r.stderr.trim() || r.stdout.trim()}`,
      {
        place: "--context",
        hint: "list them with `docker context ls`",
        exitCode: 2,
      },
    );
  }
  const [ctx] = JSON.parse(r.stdout) as Array<{
    Endpoints?: { docker?: ContextEndpoint };
    Storage?: { TLSPath?: string };
    TLSMaterial?: { docker?: string[] };
  }>;
  const host = ctx?.Endpoints?.docker?.Host;
  if (!host)
    throw new GatestackError("E_USAGE", `docker context "${name}" has no docker endpoint`, { exitCode: 2 });
  const hasTls = (ctx?.TLSMaterial?.docker ?? []).length > 0 && ctx?.Storage?.TLSPath;
  return hasTls ? { host, tlsDir: `${ctx!.Storage!.TLSPath}/docker` } : { host };
}

export async function resolveEngineTarget(opts: EngineTargetOptions = {}): Promise<EngineTarget> {
  if (opts.host !== undefined && opts.context !== undefined) {
    throw new GatestackError("E_USAGE", "--host and --context name the engine twice: give one", {
      exitCode: 2,
    });
  }
  const Dockerode = createRequire(import.meta.url)("dockerode") as typeof Docker;
  const env = opts.env ?? process.env;
  const base: Record<string, string> = {};
  for (const k of ["DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "DOCKER_CONFIG"]) if (env[k]) base[k] = env[k]!;
  if (opts.host !== undefined) {
    return {
      docker: new Dockerode(dockerodeOptionsFor(opts.host)),
      cliEnv: { ...base, DOCKER_HOST: opts.host },
      description: opts.host,
    };
  }
  const contextName = opts.context ?? (env.DOCKER_HOST ? undefined : env.DOCKER_CONTEXT);
  if (contextName !== undefined && contextName !== "default") {
    const ctx = await inspectContext(contextName);
    return {
      docker: new Dockerode(dockerodeOptionsFor(ctx.host, ctx.tlsDir)),
      cliEnv: { ...base, DOCKER_CONTEXT: contextName },
      description: `context ${contextName} (${ctx.host})`,
    };
  }
  const host = env.DOCKER_HOST;
  const tlsDir = env.DOCKER_TLS_VERIFY && env.DOCKER_CERT_PATH ? env.DOCKER_CERT_PATH : undefined;
  return {
    docker: host ? new Dockerode(dockerodeOptionsFor(host, tlsDir)) : new Dockerode(),
    cliEnv: host ? { ...base, DOCKER_HOST: host } : base,
    description: host ?? "the local engine",
  };
}
