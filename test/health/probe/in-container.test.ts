import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ContainerExec,
  InContainerHttp,
  parseBatchOutput,
} from "../../../src/health/probe/in-container.js";
import { localExec } from "../support/local-exec.js";
import { type FaultServer, refusedPort, startFaultServer } from "../support/servers.js";

/**
 * The in-container probe programs run here on the host (same sh dispatcher, env and parser)
 * with each HTTP client the stack's images carry: node (gateway), python3 (apps), curl, wget.
 */
describe("in-container HTTP probes", () => {
  let server: FaultServer;
  let refused: number;
  beforeAll(async () => {
    server = await startFaultServer();
    refused = await refusedPort();
  });
  afterAll(() => server.close());

  for (const tool of ["node", "python3", "curl", "wget"]) {
    it(`${tool}: answers, wrong status, timeout, refused, reset and DNS failure in one concurrent batch`, async () => {
      const http = new InContainerHttp(localExec, tool);
      const started = Date.now();
      const [ok, wrong, slow, refusedR, reset, dns] = await Promise.all([
        http.get("c1", {
          url: `${server.url}/echo`,
          headers: { authorization: "Bearer s3cr3t" },
          timeoutMs: 1000,
        }),
        http.get("c1", { url: `${server.url}/status/503`, timeoutMs: 1000 }),
        http.get("c1", { url: `${server.url}/slow?ms=4000`, timeoutMs: 1000 }),
        http.get("c1", { url: `http://127.0.0.1:${refused}/`, timeoutMs: 1000 }),
        http.get("c1", { url: `${server.url}/reset`, timeoutMs: 1000 }),
        http.get("c1", { url: "http://no-such-service.invalid:8000/health", timeoutMs: 1000 }),
      ]);
      // concurrent: the whole batch takes about one timeout, not the sum
      expect(Date.now() - started).toBeLessThan(3500);
      expect(ok.ok && ok.status).toBe(200);
      expect(ok.ok && JSON.parse(ok.body).headers.authorization).toBe("Bearer s3cr3t");
      expect(wrong).toMatchObject({ ok: true, status: 503 });
      expect(slow).toMatchObject({ ok: false, error: { code: "timeout" } });
      expect(refusedR).toMatchObject({
        ok: false,
        error: { code: "refused", message: `connection refused on 127.0.0.1:${refused}` },
      });
      expect(reset).toMatchObject({ ok: false, error: { code: "reset" } });
      expect(dns).toMatchObject({
        ok: false,
        error: { code: "dns", message: "name no-such-service.invalid does not resolve" },
      });
    });
  }

  it("coalesces requests for the same container into one exec, secrets only in the environment", async () => {
    const calls: Array<{ id: string; cmd: string[]; env: Record<string, string> }> = [];
    const recording: ContainerExec = {
      exec(id, cmd, env, timeoutMs) {
        calls.push({ id, cmd, env });
        return localExec.exec(id, cmd, env, timeoutMs);
      },
    };
    const http = new InContainerHttp(recording, "curl");
    const results = await Promise.all([
      http.get("a", {
        url: `${server.url}/ok`,
        headers: { authorization: "Bearer t0ken-xyz" },
        timeoutMs: 1000,
      }),
      http.get("a", { url: `${server.url}/status/404`, timeoutMs: 1000 }),
      http.get("b", { url: `${server.url}/ok`, timeoutMs: 1000 }),
    ]);
    expect(results.map((r) => r.ok && r.status)).toEqual([200, 404, 200]);
    expect(calls.map((c) => c.id).sort()).toEqual(["a", "b"]);
    const a = calls.find((c) => c.id === "a")!;
    expect(a.cmd.join(" ")).not.toContain("t0ken-xyz");
    expect(Object.values(a.env).join("\n")).toContain("t0ken-xyz");
  });

  it("a container without any HTTP client says so", async () => {
    const http = new InContainerHttp(localExec, "no-such-client");
    const r = await http.get("c", { url: `${server.url}/ok`, timeoutMs: 500 });
    expect(r).toMatchObject({ ok: false, error: { code: "no-client" } });
  });

  it("an exec that cannot start fails every request of the batch with the reason", async () => {
    const broken: ContainerExec = {
      exec: () => Promise.reject(new Error("container abc is not running")),
    };
    const http = new InContainerHttp(broken);
    const r = await http.get("abc", { url: "http://x/", timeoutMs: 500 });
    expect(r).toMatchObject({
      ok: false,
      error: { message: "could not run a probe in the container: container abc is not running" },
    });
  });

  it("parses both output protocols and reports silent requests as timeouts", () => {
    const reqs = [
      { url: "http://a:1/x", timeoutMs: 1000 },
      { url: "http://b:2/y", timeoutMs: 1000 },
      { url: "http://c:3/z", timeoutMs: 1000 },
    ];
    const out = [
      "noise before",
      '@@GS {"i":0,"s":200,"ms":4.2,"b":"{\\"status\\":\\"ok\\"}"}',
      `@@GSB 1 000 7 0.001 ${Buffer.from("").toString("base64")} ${Buffer.from("curl: (7) Failed to connect").toString("base64")}`,
    ].join("\n");
    const [a, b, c] = parseBatchOutput(out, reqs, 900);
    expect(a).toEqual({ ok: true, status: 200, body: '{"status":"ok"}', ms: 4.2 });
    expect(b).toMatchObject({ ok: false, error: { code: "refused", message: "connection refused on b:2" } });
    expect(c).toMatchObject({ ok: false, error: { code: "timeout" }, ms: 900 });
  });
});
