import { describe, expect, it } from "vitest";
import { imageNeeds } from "../../src/runtime/images.js";
import { projectFrom } from "./fixtures.js";

describe("imageNeeds", () => {
  it("builds gatestack/gateway from the package even when compose.yaml gives it a build context", async () => {
    const { project, cleanup } = await projectFrom(
      [
        "services:",
        "  gateway:",
        "    image: gatestack/gateway:0.1.0",
        "    build: {context: ./.gatestack/gateway}",
        "  app:",
        "    image: demo-app:latest",
        "    build: {context: ./services/app, args: {PYTHON_IMAGE: python:3.12-slim}}",
        "  cache:",
        "    image: redis:7",
        "",
      ].join("\n"),
    );
    try {
      const needs = imageNeeds(project);
      expect(needs.map((n) => [n.image, n.source])).toEqual([
        ["gatestack/gateway:0.1.0", "gateway"],
        ["demo-app:latest", "build"],
        ["redis:7", "pull"],
      ]);
      expect(needs[0]!.build).toBeUndefined();
      expect(needs[1]!.build).toMatchObject({ args: { PYTHON_IMAGE: "python:3.12-slim" } });
    } finally {
      await cleanup();
    }
  });
});
