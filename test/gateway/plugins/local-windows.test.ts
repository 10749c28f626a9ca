/** The local policies' window counters (_shared/local-windows.ts), shared by rate-limiting and response-ratelimiting. */
import { describe, expect, it } from "vitest";
import { LocalWindows } from "../../../src/gateway/plugins/_shared/local-windows.js";

describe("LocalWindows", () => {
  it("keeps only the current window of each period; an earlier one is over", () => {
    const w = new LocalWindows(10);
    w.add(w.counters("minute", 60_000)!, "a", 2);
    w.add(w.counters("hour", 0)!, "a", 2);
    expect(w.counters("minute", 60_000)!.get("a")).toBe(2);
    // the next minute: the old counters are gone, the hour's stay
    expect(w.counters("minute", 120_000)!.get("a")).toBeUndefined();
    expect(w.counters("hour", 0)!.get("a")).toBe(2);
    expect(w.counters("minute", 60_000)).toBeNull();
    expect(w.currentStart("minute")).toBe(120_000);
  });

  it("holds at most maxKeys keys per window, evicting the oldest", () => {
    const w = new LocalWindows(2);
    const counts = w.counters("second", 0)!;
    w.add(counts, "a", 1);
    w.add(counts, "b", 1);
    w.add(counts, "a", 1);
    w.add(counts, "c", 1);
    expect([...counts.entries()]).toEqual([
      ["b", 1],
      ["c", 1],
    ]);
    expect(w.size("second")).toBe(2);
  });
});
