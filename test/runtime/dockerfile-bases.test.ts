import { describe, expect, it } from "vitest";
import { dockerfileBaseImages } from "../../src/runtime/dockerfile-bases.js";

describe("dockerfileBaseImages", () => {
  it("resolves FROM through the ARGs before it, build args over their defaults", () => {
    const text = [
      "# syntax comment",
      "ARG JENKINS_IMAGE=jenkins/jenkins:2.568.2-lts-jdk21",
      'ARG GATEWAY_IMAGE="gatestack/gateway:0.1.0" UNSET',
      `FROM \${GATEWAY_IMAGE} AS gatestack`,
      "FROM $JENKINS_IMAGE",
      "COPY --from=gatestack /app /opt/gatestack",
      "",
    ].join("\n");
    expect(dockerfileBaseImages(text, {})).toEqual([
      "gatestack/gateway:0.1.0",
      "jenkins/jenkins:2.568.2-lts-jdk21",
    ]);
    expect(dockerfileBaseImages(text, { JENKINS_IMAGE: "mirror.local/jenkins:lts" })).toEqual([
      "gatestack/gateway:0.1.0",
      "mirror.local/jenkins:lts",
    ]);
  });

  it("leaves out stage names, scratch and flags; follows line continuations; ARGs after FROM do not apply", () => {
    const text = [
      "from --platform=$BUILDPLATFORM node:22-slim as Build",
      "ARG LATE=ignored:1",
      "FROM build AS test",
      "FROM scratch",
      "FROM \\",
      `  \${LATE:-python:3.12-slim}`,
      `FROM \${MISSING:+never}redis:7`,
      "FROM node:22-slim",
    ].join("\n");
    expect(dockerfileBaseImages(text, { LATE: "not-a-global" })).toEqual([
      "node:22-slim",
      "python:3.12-slim",
      "redis:7",
    ]);
  });
});
