/**
 * `docker stack deploy` and `docker stack rm`, run by the docker CLI (execa): the CLI turns the stack
 * file into services, networks and configs exactly as users know it from running it by hand (its own
 * compose v3 schema check, its labels, its rolling updates), and the engine schedules.
 */
import { execa } from "execa";
import { GatestackError } from "../../errors.js";

export interface StackCliOptions {
  /** environment that names the engine (EngineTarget.cliEnv) plus the stack file's variables */
  env: Record<string, string>;
  cwd: string;
  signal?: AbortSignal;
}

function cliMissing(err: unknown): GatestackError {
  return new GatestackError(
    "E_DOCKER",
    "the docker CLI is not installed: stack deploy runs `docker stack deploy`",
    {
      hint: "install the docker client (Debian/Ubuntu: `sudo apt-get install docker.io`)",
      cause: err,
    },
  );
}

async function run(args: string[], opts: StackCliOptions): Promise<{ stdout: string; stderr: string }> {
  try {
    const r = await execa("docker", args, {
      cwd: opts.cwd,
      env: { ...opts.env, DOCKER_CLI_HINTS: "false" },
      extendEnv: true,
      reject: false,
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    });
    if (r.exitCode !== 0) {
      const message = (r.stderr || r.stdout).trim().split("\n").slice(-5).join("; ");
      throw new GatestackError("E_DEPLOY_FAILED", `docker ${args.slice(0, 2).join(" ")} failed: ${message}`, {
        data: { stderr: r.stderr, stdout: r.stdout },
      });
    }
    return { stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw cliMissing(err);
    throw err;
  }
}

/**
 * `docker stack deploy --prune -c <file> <stack>`: services no longer in the file are removed.
 * `resolveImage`: "always" pins each image to its registry digest (so a rebuilt `:latest` rolls);
 * "never" when the images are only on the nodes (no registry).
 */
export async function stackDeploy(
  file: string,
  stack: string,
  resolveImage: "always" | "never",
  opts: StackCliOptions,
): Promise<string> {
  const r = await run(
    [
      "stack",
      "deploy",
      "--prune",
      "--with-registry-auth",
      "--resolve-image",
      resolveImage,
      "-c",
      file,
      stack,
    ],
    opts,
  );
  return `${r.stdout}\n${r.stderr}`.trim();
}

export async function stackRemove(stack: string, opts: StackCliOptions): Promise<string> {
  const r = await run(["stack", "rm", stack], opts);
  return `${r.stdout}\n${r.stderr}`.trim();
}
