import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { GatestackError } from "../../src/errors.js";
import { normalizeHealthArgv, outputFormatFor } from "../../src/health/output.js";
import { watchHealth } from "../../src/health/watch.js";
import { sampleReport } from "./support/sample-report.js";

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = "";
  out.on("data", (c: Buffer) => {
    text += c.toString();
  });
  return { out, text: () => text };
}

describe("--watch", () => {
  it("on a TTY redraws in place: cursor home + clear before each report", async () => {
    const { out, text } = capture();
    let runs = 0;
    const last = await watchHealth({
      intervalMs: 10,
      produce: async () =>
        sampleReport({ exitCode: runs++ === 0 ? 1 : 0, status: runs === 1 ? "degraded" : "healthy" }),
      format: "table",
      color: false,
      tty: true,
      out,
      maxRuns: 2,
    });
    expect(last).toBe(0);
    const frames = text().split("\u001b[H\u001b[2J\u001b[3J");
    expect(frames).toHaveLength(3); // "" before the first frame, then two frames
    expect(frames[1]).toContain("shop: degraded (exit 1)");
    expect(frames[2]).toContain("shop: healthy (exit 0)");
    expect(frames[2]).toContain("Ctrl-C to stop");
    expect(frames[2]).toContain("\u001b[K\n");
  });

  it("without a TTY prints plain reports one after another; JSON as one document per line", async () => {
    const plain = capture();
    await watchHealth({
      intervalMs: 5,
      produce: async () => sampleReport(),
      format: "table",
      color: false,
      tty: false,
      out: plain.out,
      maxRuns: 2,
    });
    expect(plain.text()).not.toContain("\u001b[");
    expect(plain.text().match(/^stack health shop: degraded/gm)).toHaveLength(2);

    const json = capture();
    await watchHealth({
      intervalMs: 5,
      produce: async () => sampleReport(),
      format: "json",
      color: false,
      tty: true,
      out: json.out,
      maxRuns: 3,
    });
    const lines = json.text().trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ schemaVersion: 1, stack: "shop" });
  });

  it("keeps watching through a failing run (stack stopped) and ends with its exit code", async () => {
    const { out, text } = capture();
    let runs = 0;
    const last = await watchHealth({
      intervalMs: 5,
      produce: async () => {
        if (runs++ === 1)
          throw new GatestackError("E_STACK_NOT_RUNNING", 'stack "shop" is not running (no containers)', {
            exitCode: 2,
            hint: "start it with `stack up`",
          });
        return sampleReport();
      },
      format: "table",
      color: false,
      tty: false,
      out,
      maxRuns: 2,
    });
    expect(last).toBe(2);
    expect(text()).toContain('✗ stack "shop" is not running (no containers)');
    expect(text()).toContain("hint: start it with `stack up`");
  });

  it("stops on the abort signal (Ctrl-C) without waiting for the interval", async () => {
    const { out } = capture();
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 100);
    const last = await watchHealth({
      intervalMs: 60_000,
      produce: async () => sampleReport(),
      format: "table",
      color: false,
      tty: false,
      out,
      signal: stop.signal,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(last).toBe(1);
  });
});

describe("flags", () => {
  it("a bare --watch gets the default interval; --format json without --output means --json", () => {
    expect(normalizeHealthArgv(["--watch"])).toEqual(["--watch", "2"]);
    expect(normalizeHealthArgv(["--watch", "--json"])).toEqual(["--watch", "2", "--json"]);
    expect(normalizeHealthArgv(["--watch", "5"])).toEqual(["--watch", "5"]);
    expect(normalizeHealthArgv(["-w", "0.5", "-d", "x"])).toEqual(["-w", "0.5", "-d", "x"]);
    expect(normalizeHealthArgv(["--format", "json"])).toEqual(["--format", "json", "--json"]);
    expect(normalizeHealthArgv(["--format", "json", "--output", "r.json"])).toEqual([
      "--format",
      "json",
      "--output",
      "r.json",
    ]);
  });

  it("the format comes from --format, else the --output extension, else --json, else the table", () => {
    expect(outputFormatFor("markdown", "x.html", false)).toBe("markdown");
    expect(outputFormatFor(undefined, "report.HTML", false)).toBe("html");
    expect(outputFormatFor(undefined, "report.md", false)).toBe("markdown");
    expect(outputFormatFor(undefined, "report.json", false)).toBe("json");
    expect(outputFormatFor(undefined, undefined, true)).toBe("json");
    expect(outputFormatFor(undefined, "report.txt", true)).toBe("table");
    expect(outputFormatFor(undefined, undefined, false)).toBe("table");
  });
});
