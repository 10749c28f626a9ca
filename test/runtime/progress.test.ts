import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { jsonReporter, plainReporter, ttyReporter } from "../../src/runtime/progress.js";

function capture() {
  const out = new PassThrough();
  let text = "";
  out.on("data", (c: Buffer) => {
    text += c.toString();
  });
  return { out, text: () => text };
}

describe("reporters", () => {
  it("json: one parseable event per line", () => {
    const c = capture();
    const r = jsonReporter(c.out);
    const t = r.task("x", "Container x");
    t.running("creating");
    t.done("healthy");
    r.warn("careful");
    const events = c
      .text()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.status ?? e.type)).toEqual(["pending", "running", "done", "warning"]);
    expect(events[2]).toMatchObject({ type: "task", id: "x", title: "Container x", detail: "healthy" });
  });

  it("plain: a line when a task starts and when it ends, no escape codes", () => {
    const c = capture();
    const r = plainReporter(c.out);
    const t = r.task("x", "Image a");
    t.running("pulling");
    t.progress("50%");
    t.done("pulled");
    r.task("y", "Image b").skip("present");
    expect(c.text()).toBe("… Image a pulling\n✔ Image a pulled\n↓ Image b present\n");
  });

  it("tty: redraws running tasks in place and leaves finished ones as lines", () => {
    const c = capture();
    const r = ttyReporter(Object.assign(c.out, { columns: 80 }), { color: false });
    const t = r.task("x", "Container a");
    t.running("starting");
    t.done("healthy");
    r.close();
    const text = c.text();
    expect(text).toContain("\u001b[1A\u001b[0J"); // erased the live line before redrawing
    expect(text.split("\u001b[0J").at(-1)?.trimEnd()).toBe("✔ Container a healthy");
  });
});
