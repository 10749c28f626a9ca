/**
 * hashDeclarative is md5 of the canonical JSON of the document (Kong-like configuration_hash),
 * however it gets there: the per-entity memo gives the same hash as serializing the whole document,
 * for any shape, and the same record objects hash the same on every call.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, hashDeclarative, hashDeclarativeText } from "../../../src/gateway/config/hash.js";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

describe("hashDeclarative", () => {
  const shapes: unknown[] = [
    { _format_version: "3.0" },
    {
      services: [
        { name: "a", port: 80 },
        { port: 81, name: "b", tags: ["z", "a"] },
      ],
      _format_version: "3.0",
    },
    { routes: [{ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }], skip: undefined, plugins: [] },
    { list: [1, "two", null, undefined, [3, { b: 2, a: 1 }]], nested: { z: 1, a: [{ q: 1, p: 2 }] } },
    { "": 1, "a b": [{ "\u00e9": "\u2028" }], __proto__x: 2 },
    [],
    "text",
    null,
  ];
  it("equals md5 of the canonical JSON for every shape", () => {
    for (const doc of shapes) expect(hashDeclarative(doc)).toBe(md5(canonicalJson(doc)));
  });

  it("the same records in a new document hash as a whole serialization does, changed ones too", () => {
    const routes = Array.from({ length: 50 }, (_, i) => ({ name: `r${i}`, paths: [`/p${i}`], id: `${i}` }));
    const first = { _format_version: "3.0", routes };
    expect(hashDeclarative(first)).toBe(md5(canonicalJson(first)));
    // database mode's next load: the same objects but one, which is new
    const next = {
      _format_version: "3.0",
      routes: routes.map((r, i) => (i === 7 ? { ...r, paths: ["/moved"] } : r)),
    };
    expect(hashDeclarative(next)).toBe(md5(canonicalJson(next)));
    expect(hashDeclarative(next)).not.toBe(hashDeclarative(first));
    expect(hashDeclarative(first)).toBe(md5(canonicalJson(first)));
  });

  it("YAML and JSON spellings of one document hash the same", () => {
    expect(hashDeclarativeText('{"services":[{"port":80,"name":"a"}],"_format_version":"3.0"}')).toBe(
      hashDeclarativeText("_format_version: '3.0'\nservices:\n  - name: a\n    port: 80\n"),
    );
  });
});
