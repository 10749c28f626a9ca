import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerExec, readLogLines } from "../../src/health/docker.js";
import { demuxToText, LogDemuxer } from "../../src/runtime/log-frames.js";
import { logTail } from "../../src/runtime/wait.js";

function frame(kind: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = kind;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

describe("LogDemuxer", () => {
  it("tells stdout from stderr and passes raw (TTY) output through", () => {
    const got: string[] = [];
    const d = new LogDemuxer((s, p) => got.push(`${s}:${p.toString()}`));
    d.push(Buffer.concat([frame(2, "e1"), frame(1, "o1"), frame(1, "")]));
    expect(got).toEqual(["stderr:e1", "stdout:o1", "stdout:"]);
    const raw: string[] = [];
    const tty = new LogDemuxer((s, p) => raw.push(`${s}:${p.toString()}`));
    tty.push(Buffer.from("a TTY line\n"));
    tty.push(Buffer.from("more"));
    expect(raw.join("|")).toBe("stdout:a TTY line\n|stdout:more");
  });

  it("decodes a whole log read at once, 100,000 frames in one buffer (a swarm service's logs), in order", () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `line ${i}\n`);
    const text = demuxToText(Buffer.concat(lines.map((l, i) => frame(i % 7 === 0 ? 2 : 1, l))));
    expect(text).toBe(lines.join(""));
  });

  it("reads short raw output and empty logs as text", () => {
    expect(demuxToText(Buffer.from("hi\n"))).toBe("hi\n");
    expect(demuxToText(Buffer.alloc(0))).toBe("");
  });
});

// The engine's own framing: a real container writing to both streams.
describe("against the Docker engine", () => {
  const docker = new Dockerode();
  let container: Dockerode.Container;
  const started = new Date();

  beforeAll(async () => {
    container = await docker.createContainer({
      Image: "redis:7",
      Entrypoint: ["sh", "-c", "echo out-1; echo err-1 >&2; echo out-2; exec sleep 30"],
      Labels: { "gatestack.test": "log-frames" },
    });
    await container.start();
    for (let i = 0; i < 50; i++) {
      const text = demuxToText((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer);
      if (text.includes("out-2")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);
  afterAll(async () => {
    await container?.remove({ force: true });
  });

  it("reads a container's log lines from both streams", async () => {
    // the engine keeps the two streams' order only per stream
    expect((await readLogLines(docker, container.id, started)).sort()).toEqual(["err-1", "out-1", "out-2"]);
    expect((await logTail(docker, container.id, 3)).sort()).toEqual(["err-1", "out-1", "out-2"]);
  });

  it("separates an exec's stdout and stderr", async () => {
    const r = await dockerExec(docker).exec(
      container.id,
      ["sh", "-c", "echo $A; echo bad >&2"],
      { A: "x" },
      5000,
    );
    expect(r).toEqual({ stdout: "x\n", stderr: "bad\n", timedOut: false });
  });
});
