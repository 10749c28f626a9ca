/**
 * `stack gateway serve` as a real process: SIGTERM drains in-flight requests and exits 0,
 * SIGHUP reloads the configuration file (an invalid file is logged and the old one kept),
 * flags and Kong's environment variables configure it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { rawRequest, replyWith, startEchoUpstream } from "../../support/gateway.js";

const BIN = fileURLToPath(new URL("../../../bin/run.js", import.meta.url));
const cleanups = cleanupsAfterEach();

interface Served {
  proc: ChildProcess;
  proxyUrl: string;
  stderr: string[];
  stdout: string[];
  exited: Promise<number | null>;
}

async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const proc = spawn(process.execPath, [BIN, "gateway", "serve", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  const stdout: string[] = [];
  proc.stdout!.on("data", (c) => stdout.push(...String(c).split("\n").filter(Boolean)));
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  cleanups.push(async () => {
    if (proc.exitCode === null) proc.kill("SIGKILL");
    await exited;
  });
  const proxyUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${stderr.join("\n")}`)), 20_000);
    proc.stderr!.on("data", (c) => {
      for (const line of String(c).split("\n").filter(Boolean)) {
        stderr.push(line);
        try {
          const msg = JSON.parse(line) as { msg?: string; proxy?: string };
          if (msg.msg === "gateway started") {
            clearTimeout(timer);
            resolve(msg.proxy!);
          }
        } catch {
          // not JSON (oclif error output)
        }
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}: ${stderr.join("\n")}`));
    });
  });
  return { proc, proxyUrl, stderr, stdout, exited };
}

function tempConfig(doc: object): { path: string; write(doc: object | string): void } {
  const dir = mkdtempSync(join(tmpdir(), "gw-signals-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "kong.yml");
  const write = (d: object | string) => writeFileSync(path, typeof d === "string" ? d : JSON.stringify(d));
  write(doc);
  return { path, write };
}

function routeTo(url: string) {
  return { _format_version: "3.0", services: [{ name: "svc", url, routes: [{ paths: ["/"] }] }] };
}

const LISTEN = [
  "--proxy-listen",
  "127.0.0.1:0",
  "--admin-listen",
  "off",
  "--status-listen",
  "off",
  "--gui-listen",
  "off",
];

describe("stack gateway serve", () => {
  it("SIGTERM: stops accepting, lets in-flight requests finish, exits 0", async () => {
    const slow = await startEchoUpstream({
      handler: async (_req, res) => {
        await new Promise((r) => setTimeout(r, 800));
        res.end("finished");
        return true;
      },
    });
    cleanups.push(() => slow.close());
    const cfg = tempConfig(routeTo(slow.url));
    const gw = await serve(["--config", cfg.path, ...LISTEN]);
    const inflight = rawRequest(gw.proxyUrl, "/work");
    await new Promise((r) => setTimeout(r, 200));
    gw.proc.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    await expect(rawRequest(gw.proxyUrl, "/late")).rejects.toThrow(/ECONNREFUSED/);
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.body).toBe("finished");
    expect(await gw.exited).toBe(0);
    expect(gw.stderr.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
    // the access log line of the drained request is on stdout
    expect(gw.stdout.some((l) => l.includes('"path":"/work"') && l.includes('"status":200'))).toBe(true);
  });

  it("SIGHUP: reloads the file; an invalid file is logged and the old configuration kept", async () => {
    const a = await startEchoUpstream({ handler: replyWith("A") });
    const b = await startEchoUpstream({ handler: replyWith("B") });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const cfg = tempConfig(routeTo(a.url));
    const gw = await serve(["--config", cfg.path, ...LISTEN]);
    expect((await rawRequest(gw.proxyUrl, "/")).body).toBe("A");
    cfg.write(routeTo(b.url));
    gw.proc.kill("SIGHUP");
    const deadline = Date.now() + 5000;
    while ((await rawRequest(gw.proxyUrl, "/")).body !== "B") {
      if (Date.now() > deadline) throw new Error("reload not applied");
      await new Promise((r) => setTimeout(r, 50));
    }
    cfg.write("_format_version: '3.0'\nservices:\n- name: broken\n  port: not-a-port\n");
    gw.proc.kill("SIGHUP");
    const until = Date.now() + 5000;
    while (!gw.stderr.some((l) => l.includes("configuration reload failed"))) {
      if (Date.now() > until) throw new Error("no reload error logged");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await rawRequest(gw.proxyUrl, "/")).body).toBe("B");
    gw.proc.kill("SIGTERM");
    expect(await gw.exited).toBe(0);
  });

  it("takes Kong's environment variables when no flag or GATEWAY_* variable is set", async () => {
    const up = await startEchoUpstream();
    cleanups.push(() => up.close());
    const cfg = tempConfig(routeTo(up.url));
    const gw = await serve([], {
      KONG_DECLARATIVE_CONFIG: cfg.path,
      KONG_PROXY_LISTEN: "127.0.0.1:0 reuseport backlog=16384, 127.0.0.1:8443 http2 ssl",
      KONG_ADMIN_LISTEN: "off",
      KONG_STATUS_LISTEN: "off",
      KONG_TRUSTED_IPS: "127.0.0.1",
    });
    const res = await rawRequest(gw.proxyUrl, "/", { headers: { "x-forwarded-proto": "https" } });
    expect(res.status).toBe(200);
    expect((res.json as { headers: Record<string, string> }).headers["x-forwarded-proto"]).toBe("https");
    gw.proc.kill("SIGTERM");
    expect(await gw.exited).toBe(0);
  });

  it("a missing config file is a clear startup error", async () => {
    await expect(serve(["--config", "/nonexistent/kong.yml", ...LISTEN])).rejects.toThrow(
      /\/nonexistent\/kong\.yml: configuration file not found/,
    );
  });
});
