import { describe, expect, it } from "vitest";
import { demuxToText, LogDemuxer } from "../../src/runtime/log-frames.js";
import { LineSplitter, parseSince } from "../../src/runtime/logs.js";

function frame(kind: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = kind;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

describe("LogDemuxer", () => {
  it("splits frames even when chunks cut headers and payloads", () => {
    const got: string[] = [];
    const d = new LogDemuxer((s, p) => got.push(`${s}:${p.toString()}`));
    const all = Buffer.concat([frame(1, "hello\n"), frame(2, "oops\n"), frame(1, "bye")]);
    for (let i = 0; i < all.length; i += 5) d.push(all.subarray(i, i + 5));
    expect(got).toEqual(["stdout:hello\n", "stderr:oops\n", "stdout:bye"]);
    expect(demuxToText(all)).toBe("hello\noops\nbye");
    expect(demuxToText(Buffer.from("plain tty output"))).toBe("plain tty output");
  });
});

describe("LineSplitter", () => {
  it("emits whole lines and keeps the partial tail", () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push("a\nb");
    s.push("c\r\nd");
    expect(lines).toEqual(["a", "bc"]);
    s.flush();
    expect(lines).toEqual(["a", "bc", "d"]);
  });
});

describe("parseSince", () => {
  it("accepts durations, timestamps and Unix seconds", () => {
    const now = Date.parse("2026-01-01T00:10:00Z");
    expect(parseSince("10m", now)).toBe(Date.parse("2026-01-01T00:00:00Z") / 1000);
    expect(parseSince("2026-01-01T00:00:00Z", now)).toBe(1767225600);
    expect(parseSince("1700000000")).toBe(1700000000);
    expect(() => parseSince("yesterday")).toThrow(/--since/);
  });
});
