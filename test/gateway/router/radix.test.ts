import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RadixTree } from "../../../src/gateway/router/radix.js";

describe("RadixTree", () => {
  it("collects exactly the keys that prefix the path (vs a naive scan)", () => {
    const key = fc.stringMatching(/^[/ab-]{0,8}$/);
    fc.assert(
      fc.property(
        fc.array(key, { maxLength: 40 }),
        fc.array(key, { minLength: 1, maxLength: 10 }),
        (keys, paths) => {
          const tree = new RadixTree();
          keys.forEach((k, rank) => {
            tree.add(k, rank);
          });
          for (const path of paths) {
            const got: number[] = [];
            tree.collect(path, got);
            const want = keys.flatMap((k, rank) => (path.startsWith(k) ? [rank] : []));
            expect([...got].sort((a, b) => a - b)).toEqual(want);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("splits edges and keeps shorter keys first", () => {
    const tree = new RadixTree();
    tree.add("/api/users", 0);
    tree.add("/api", 1);
    tree.add("/apix", 2);
    tree.add("", 3);
    const out: number[] = [];
    tree.collect("/api/users/7", out);
    expect(out).toEqual([3, 1, 0]);
  });
});
