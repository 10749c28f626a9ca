/**
 * A real `redis-server` for tests: started on 127.0.0.1 with a free random port, no
 * persistence, and stopped (or killed, to simulate an outage) by the test that owns it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Socket } from "node:net";
import { freePort } from "./processes.js";

export interface TestRedis {
  host: string;
  port: number;
  /** redis://127.0.0.1:<port> */
  url: string;
  /** Run one command through a fresh connection (RESP), returning the raw reply line(s). */
  command(...args: string[]): Promise<string>;
  /** SIGKILL the server (an outage); `start()` brings it back on the same port. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Stop for good (SIGTERM, then SIGKILL after 2 s). Safe to call twice. */
  stop(): Promise<void>;
}

function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

/** Send one RESP command and resolve with the reply text (first complete reply only). */
function sendCommand(port: number, args: string[], timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = new Socket();
    let buf = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`redis on port ${port}: no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on("data", (chunk) => {
      buf += chunk.toString("utf8");
      if (buf.endsWith("\r\n")) {
        clearTimeout(timer);
        sock.destroy();
        resolve(buf);
      }
    });
    sock.connect(port, "127.0.0.1", () => sock.write(encodeCommand(args)));
  });
}

async function waitForPing(port: number, child: ChildProcess, password?: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    try {
      // with requirepass, a NOAUTH error also proves the server is up
      const reply = await sendCommand(port, ["PING"], 300);
      if (reply.startsWith("+PONG") || (password !== undefined && reply.startsWith("-NOAUTH"))) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server did not answer PING on port ${port}`);
}

export interface TestRedisOptions {
  /** require this password (`requirepass`) */
  password?: string;
}

export async function startTestRedis(opts: TestRedisOptions = {}): Promise<TestRedis> {
  let child: ChildProcess | null = null;
  let port = 0;

  const launch = async (): Promise<void> => {
    const auth = opts.password === undefined ? [] : ["--requirepass", opts.password];
    const proc = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...auth],
      { stdio: "ignore" },
    );
    child = proc;
    await waitForPing(port, proc, opts.password);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, "exit");
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(timer);
  };

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort();
    try {
      await launch();
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err;
      await terminate("SIGKILL");
    }
  }
  if (lastError) throw lastError;

  return {
    host: "127.0.0.1",
    port,
    url: `redis://127.0.0.1:${port}`,
    command: (...args) => sendCommand(port, args),
    kill: () => terminate("SIGKILL"),
    start: launch,
    stop: () => terminate("SIGTERM"),
  };
}
