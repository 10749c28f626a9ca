import { describe, expect, it } from "vitest";
import { imageNeeds, imagesToEnsure } from "../../src/runtime/images.js";
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

  it("builds an image a build starts FROM before that build, whatever the service order", async () => {
    const { project, cleanup } = await projectFrom(
      [
        "services:",
        "  jenkins:",
        "    image: demo-jenkins:0.1.0",
        "    build: {context: ./config/jenkins, args: {GATEWAY_IMAGE: gatestack/gateway:0.1.0}}",
        "  app:",
        "    image: demo-app:latest",
        "    build: {context: ./services/app}",
        "  gateway:",
        "    image: gatestack/gateway:0.1.0",
        "",
      ].join("\n"),
      {
        "config/jenkins/Dockerfile": `ARG GATEWAY_IMAGE=gatestack/gateway:9.9.9\nFROM \${GATEWAY_IMAGE} AS cli\nFROM jenkins/jenkins:lts\n`,
        "services/app/Dockerfile": "FROM python:3.12-slim\n",
      },
    );
    try {
      const needs = await imagesToEnsure(project);
      expect(needs.map((n) => [n.image, n.source])).toEqual([
        ["gatestack/gateway:0.1.0", "gateway"],
        ["demo-jenkins:0.1.0", "build"],
        ["demo-app:latest", "build"],
      ]);
      expect(needs[0]).toMatchObject({ services: ["gateway"], baseOf: ["demo-jenkins:0.1.0"] });
      // The service-order list alone would build Jenkins first.
      expect(imageNeeds(project).map((n) => n.image)[0]).toBe("demo-jenkins:0.1.0");
    } finally {
      await cleanup();
    }
  });

  it("adds the gatestack gateway image when only a build starts FROM it (a Kong stack's Jenkins)", async () => {
    const { project, cleanup } = await projectFrom(
      [
        "services:",
        "  gateway:",
        "    image: kong:3.9",
        "  jenkins:",
        "    image: demo-jenkins:0.1.0",
        "    build: {context: ./config/jenkins}",
        "",
      ].join("\n"),
      {
        "config/jenkins/Dockerfile": `ARG GATEWAY_IMAGE=gatestack/gateway:0.1.0\nFROM \${GATEWAY_IMAGE} AS cli\nFROM jenkins/jenkins:lts\n`,
      },
    );
    try {
      const needs = await imagesToEnsure(project);
      expect(needs).toEqual([
        expect.objectContaining({ image: "kong:3.9", source: "pull" }),
        { image: "gatestack/gateway:0.1.0", services: [], source: "gateway", baseOf: ["demo-jenkins:0.1.0"] },
        expect.objectContaining({ image: "demo-jenkins:0.1.0", source: "build" }),
      ]);
    } finally {
      await cleanup();
    }
  });
});
