import { spawn } from "node:child_process";
import { dirname } from "node:path";
import type { ContainerExec } from "../../../src/health/probe/in-container.js";

/**
 * Runs the in-container probe programs on THIS host instead of in a container: the same
 * `sh -c` dispatcher, env and output parsing, with the host's node / python3 / curl / wget.
 * The container id is ignored; `tools` in InContainerHttp picks which client branch runs.
 */
export const localExec: ContainerExec = {
  exec(_containerId, cmd, env, timeoutMs) {
    return new Promise((resolve, reject) => {
      const [file, ...args] = cmd;
      const child = spawn(file!, args, {
        // /usr/bin first: the system python3 (as in the FastAPI images), not a pyenv shim.
        env: { PATH: `/usr/bin:/bin:${dirname(process.execPath)}`, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let timedOut = false;
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      // Resolve at the deadline even if background children keep the pipes open.
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
        resolve({ stdout, stderr, timedOut });
      }, timeoutMs);
      child.on("error", reject);
      child.on("close", () => {
        clearTimeout(timer);
        resolve({ stdout, stderr, timedOut });
      });
    });
  },
};
