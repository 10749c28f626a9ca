/**
 * file-log through the running gateway (Kong's spec/03-plugins/04-file-log re-expressed):
 * one JSON line per request, file created with mode 0644, `reopen` following log
 * rotation, unwritable paths never breaking requests, /dev/stdout.
 */
import { mkdtemp, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { postPluginConfig, routesWithPlugin } from "./_plugin-config.js";

let upstream: EchoUpstream;
let dir: string;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  dir = await mkdtemp(join(tmpdir(), "gatestack-file-log-"));
});

afterAll(async () => {
  await upstream.close();
  await rm(dir, { recursive: true, force: true });
});

const doc = (path: string, config: Record<string, unknown>) =>
  routesWithPlugin(upstream.url, "file-log", [{ path, config }]);

async function lines(file: string): Promise<Array<Record<string, unknown>>> {
  let text = "";
  try {
    text = await readFile(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function waitForLines(file: string, n: number): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const got = await lines(file);
    if (got.length >= n) return got;
    if (Date.now() > deadline) throw new Error(`expected ${n} lines in ${file}, got ${got.length}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("file-log", () => {
  it("appends one JSON line (Kong's log payload) per request to a file it creates", async () => {
    const file = join(dir, "access.log");
    const gw = await startTestGateway(doc("/logged", { path: file }));
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${gw.proxyUrl}/logged?i=${i}`, { headers: { "x-test": "yes" } });
        expect(res.status).toBe(200);
        await res.text();
      }
      const got = await waitForLines(file, 3);
      expect(got.map((l) => (l.request as Record<string, unknown>).uri)).toEqual([
        "/logged?i=0",
        "/logged?i=1",
        "/logged?i=2",
      ]);
      const first = got[0]!;
      expect((first.request as { headers: Record<string, unknown> }).headers["x-test"]).toBe("yes");
      expect((first.response as Record<string, unknown>).status).toBe(200);
      // the response headers as sent to the client: the upstream's and the gateway's own
      const sent = (first.response as { headers: Record<string, unknown> }).headers;
      expect(sent["content-type"]).toBeDefined();
      expect(sent["x-kong-upstream-latency"]).toBeDefined();
      expect((first.route as Record<string, unknown>).name).toBe("r-logged");
      expect((first.service as Record<string, unknown>).name).toBe("svc");
      expect(first.client_ip).toBe("127.0.0.1");
      expect((await stat(file)).mode & 0o777).toBe(0o644);
    } finally {
      await gw.close();
    }
  });

  it("with reopen, follows log rotation: a moved file is replaced by a new one", async () => {
    const file = join(dir, "rotated.log");
    const gw = await startTestGateway(doc("/rotate", { path: file, reopen: true }));
    try {
      await (await fetch(`${gw.proxyUrl}/rotate?n=1`)).text();
      await waitForLines(file, 1);
      await rename(file, `${file}.1`);
      await (await fetch(`${gw.proxyUrl}/rotate?n=2`)).text();
      const fresh = await waitForLines(file, 1);
      expect((fresh[0]!.request as Record<string, unknown>).uri).toBe("/rotate?n=2");
      expect(await lines(`${file}.1`)).toHaveLength(1);
    } finally {
      await gw.close();
    }
  });

  it("without reopen, keeps writing to the file it opened", async () => {
    const file = join(dir, "kept.log");
    const gw = await startTestGateway(doc("/kept", { path: file }));
    try {
      await (await fetch(`${gw.proxyUrl}/kept?n=1`)).text();
      await waitForLines(file, 1);
      await rename(file, `${file}.1`);
      await (await fetch(`${gw.proxyUrl}/kept?n=2`)).text();
      expect(await waitForLines(`${file}.1`, 2)).toHaveLength(2);
    } finally {
      await gw.close();
    }
  });

  it("an unwritable path never breaks requests", async () => {
    const file = join(dir, "missing-dir", "nested", "x.log");
    const gw = await startTestGateway(doc("/nowhere", { path: file }));
    try {
      for (let i = 0; i < 3; i++) expect((await fetch(`${gw.proxyUrl}/nowhere`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it("writes to the gateway's stdout for /dev/stdout", async () => {
    const gw = await startTestGateway(doc("/stdout", { path: "/dev/stdout" }));
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (typeof chunk === "string" && chunk.includes('"/stdout?mark=1"')) {
        written.push(chunk);
        return true;
      }
      return original(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      await (await fetch(`${gw.proxyUrl}/stdout?mark=1`)).text();
      const deadline = Date.now() + 3000;
      while (written.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(written).toHaveLength(1);
      expect(written[0]!.endsWith("\n")).toBe(true);
      expect((JSON.parse(written[0]!) as { response: { status: number } }).response.status).toBe(200);
    } finally {
      process.stdout.write = original;
      await gw.close();
    }
  });

  it("rejects paths Kong rejects", async () => {
    const gw = await startTestGateway({ _format_version: "3.0" });
    try {
      const res = await postPluginConfig(gw.adminUrl, "file-log", { path: "/tmp/a*b.log" });
      expect(res.status).toBe(400);
      expect(res.text).toContain("not a valid filename");
    } finally {
      await gw.close();
    }
  });
});
