/**
 * The loader never throws and always answers ok/config or a well-formed code-14 error,
 * whatever it is fed: random JSON values, random text, mutated valid configurations.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ParseResult, parseDeclarativeConfig } from "../../../src/gateway/config/load.js";
import { buildRouter } from "../../../src/gateway/router/index.js";
import { fakeLookup } from "../support/config.js";

const VALID = {
  _format_version: "3.0",
  services: [
    {
      name: "svc",
      url: "http://app.test:8080/v1",
      routes: [
        { name: "r", paths: ["/api", "~/u/(?<id>\\d+)"], hosts: ["*.x.test"], headers: { "x-v": ["1"] } },
      ],
      plugins: [{ name: "rate-limiting", config: { minute: 5 } }],
    },
  ],
  consumers: [{ username: "demo", keyauth_credentials: [{ key: "k" }], acls: [{ group: "g" }] }],
  upstreams: [
    {
      name: "up",
      healthchecks: { active: { healthy: { interval: 1 } } },
      targets: [{ target: "t.test:81" }],
    },
  ],
  plugins: [{ name: "cors" }],
};

function wellFormed(r: ParseResult): void {
  if (r.ok) {
    expect(typeof r.config.hash).toBe("string");
    expect(() => buildRouter(r.config)).not.toThrow();
    return;
  }
  expect(r.error.code).toBe(14);
  expect(r.error.name).toBe("invalid declarative configuration");
  expect(r.error.message.startsWith("declarative config is invalid: ")).toBe(true);
  expect(() => JSON.stringify(r.error)).not.toThrow();
  expect(Array.isArray(r.error.flattened_errors)).toBe(true);
}

const opts = { plugins: fakeLookup, env: { A: "x" } };

/** Replace the value at a random path of `doc` with `value`. */
function mutate(doc: unknown, path: number[], value: unknown): unknown {
  if (path.length === 0 || doc === null || typeof doc !== "object") return value;
  const [head, ...rest] = path;
  if (Array.isArray(doc)) {
    if (doc.length === 0) return value;
    const i = head! % doc.length;
    return doc.map((v, j) => (j === i ? mutate(v, rest, value) : v));
  }
  const keys = Object.keys(doc);
  if (keys.length === 0) return value;
  const k = keys[head! % keys.length]!;
  return {
    ...(doc as Record<string, unknown>),
    [k]: mutate((doc as Record<string, unknown>)[k], rest, value),
  };
}

describe("loader fuzz", () => {
  it("random JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        wellFormed(parseDeclarativeConfig(v as object, opts));
        wellFormed(parseDeclarativeConfig({ _format_version: "3.0", services: v } as object, opts));
      }),
      { numRuns: 400 },
    );
  });

  it("random text (YAML/JSON-ish)", () => {
    const yamlish = fc.stringMatching(/^[ \n\t\-:{}[\],"'&*!|>#%@`a-z0-9_./~]*$/, { maxLength: 200 });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), yamlish), (text) => {
        wellFormed(parseDeclarativeConfig(text, opts));
      }),
      { numRuns: 400 },
    );
  });

  it("mutated valid configurations", () => {
    const anyValue = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        "{vault://env/A}",
        "{vault://env/MISSING}",
        "~/(",
        "/a/../b",
        "*.*",
        "__proto__",
        "constructor",
      ),
      fc.constant({ __proto__: { polluted: true } }),
    );
    fc.assert(
      fc.property(fc.array(fc.nat(20), { maxLength: 7 }), anyValue, (path, value) => {
        const doc = mutate(VALID, path, value);
        wellFormed(parseDeclarativeConfig(doc as object, opts));
        wellFormed(parseDeclarativeConfig(JSON.stringify(doc), opts));
      }),
      { numRuns: 600 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("documents with __proto__ keys do not pollute prototypes", () => {
    const text =
      '{"_format_version":"3.0","__proto__":{"x":1},"services":[{"host":"a.test","__proto__":{"y":2}}]}';
    wellFormed(parseDeclarativeConfig(text, opts));
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(({} as Record<string, unknown>).y).toBeUndefined();
  });

  it("the valid document is valid", () => {
    expect(parseDeclarativeConfig(VALID, opts).ok).toBe(true);
  });
});
