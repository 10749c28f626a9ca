import { describe, expect, it } from "vitest";
import { closest, didYouMean, editDistance } from "../../src/stack/did-you-mean.js";

describe("did you mean", () => {
  it("counts edits, a swap of neighbours as one", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("atuh", "auth")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("suggests the closest candidate only when it is a plausible typo", () => {
    const plugins = ["key-auth", "basic-auth", "rate-limiting", "cors"];
    expect(closest("key-atuh", plugins)).toBe("key-auth");
    expect(closest("RATE-LIMITTING", plugins)).toBe("rate-limiting");
    expect(closest("teleport", plugins)).toBeUndefined();
    expect(closest("crs", plugins)).toBe("cors");
    expect(didYouMean("nmae", ["name", "template"])).toBe(' — did you mean "name"?');
    expect(didYouMean("zzz", ["name"])).toBe("");
  });
});
