import { describe, expect, it } from "vitest";
import { probeCommand } from "../../src/runtime/health-probe.js";

describe("probeCommand", () => {
  it("turns a healthcheck test into the argv to exec", () => {
    expect(probeCommand(["CMD", "wget", "-q", "http://127.0.0.1/"])).toEqual([
      "wget",
      "-q",
      "http://127.0.0.1/",
    ]);
    expect(probeCommand(["CMD-SHELL", "curl -f http://x || exit 1"])).toEqual([
      "/bin/sh",
      "-c",
      "curl -f http://x || exit 1",
    ]);
    expect(probeCommand(["NONE"])).toBeUndefined();
    expect(probeCommand([])).toBeUndefined();
    expect(probeCommand(undefined)).toBeUndefined();
    expect(probeCommand(["CMD"])).toBeUndefined();
  });
});
