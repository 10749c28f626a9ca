// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Compose ${VAR} syntax is the subject under test
import { describe, expect, it } from "vitest";
import {
  InterpolationError,
  interpolateString,
  interpolateTree,
} from "../../../src/runtime/compose/interpolate.js";

const env: Record<string, string> = { NAME: "demo", EMPTY: "", PORT: "8080" };
const lookup = (n: string) => env[n];
const run = (s: string) => interpolateString(s, lookup);

describe("interpolateString", () => {
  it("substitutes $VAR and ${VAR}", () => {
    expect(run("$NAME-${NAME}")).toBe("demo-demo");
    expect(run("127.0.0.1:${PORT}:80")).toBe("127.0.0.1:8080:80");
  });

  it("applies :- and - defaults with Compose's empty/unset distinction", () => {
    expect(run("${MISSING:-x}")).toBe("x");
    expect(run("${EMPTY:-x}")).toBe("x");
    expect(run("${EMPTY-x}")).toBe("");
    expect(run("${MISSING-x}")).toBe("x");
    expect(run("${NAME:-x}")).toBe("demo");
  });

  it("nests expressions in defaults", () => {
    expect(run("${MISSING:-${NAME}-${PORT:-1}}")).toBe("demo-8080");
  });

  it("raises :? and ? errors with the message", () => {
    expect(() => run("${MISSING:?set it in .env}")).toThrow(/MISSING.*set it in \.env/);
    expect(() => run("${EMPTY:?no}")).toThrow(InterpolationError);
    expect(run("${EMPTY?no}")).toBe("");
    expect(() => run("${MISSING?}")).toThrow(/MISSING/);
  });

  it("supports :+ and + replacements", () => {
    expect(run("${NAME:+yes}")).toBe("yes");
    expect(run("${EMPTY:+yes}")).toBe("");
    expect(run("${EMPTY+yes}")).toBe("yes");
    expect(run("${MISSING+yes}")).toBe("");
  });

  it("keeps $$ as a literal dollar and a lone $", () => {
    expect(run("$$NAME costs 5$")).toBe("$NAME costs 5$");
    expect(run("a $ b")).toBe("a $ b");
  });

  it("rejects malformed expressions", () => {
    expect(() => run("${NAME:-x")).toThrow(/closing/);
    expect(() => run("${NAME")).toThrow(/invalid interpolation/);
    expect(() => run("${}")).toThrow(/variable name/);
    expect(() => run("${NAME!x}")).toThrow(/invalid interpolation/);
  });

  it("blank-fills unset variables and reports them", () => {
    const unset = new Set<string>();
    expect(interpolateString("x${NOPE}y", lookup, "p", unset)).toBe("xy");
    expect([...unset]).toEqual(["NOPE"]);
  });
});

describe("interpolateTree", () => {
  it("interpolates values, never keys, and names the path of an error", () => {
    const { value, unset } = interpolateTree(
      { services: { "${NAME}": { image: "${NAME}:1", n: 3, l: ["$X"] } } },
      lookup,
    );
    expect(value).toEqual({ services: { "${NAME}": { image: "demo:1", n: 3, l: [""] } } });
    expect(unset).toEqual(["X"]);
    try {
      interpolateTree({ services: { a: { environment: { K: "${REQ:?missing}" } } } }, lookup);
      expect.unreachable();
    } catch (err) {
      expect((err as InterpolationError).path).toBe("services.a.environment.K");
    }
  });
});
