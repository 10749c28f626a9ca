/** Reading declarative text: JSON first, YAML as Kong reads it, and resource guards. */
import { describe, expect, it } from "vitest";
import { hashDeclarative, hashDeclarativeText } from "../../../src/gateway/config/hash.js";
import { parseDocumentText } from "../../../src/gateway/config/text.js";

describe("parseDocumentText", () => {
  it("YAML 1.1 booleans and nulls as libyaml reads them; y/n stay strings; dates stay strings", () => {
    expect(parseDocumentText("a: yes\nb: On\nc: off\nd: ~\ne: 2001-12-14\nf: y\ng: null\n")).toEqual({
      ok: true,
      doc: { a: true, b: true, c: false, d: null, e: "2001-12-14", f: "y", g: null },
    });
  });

  it("merge keys and anchors", () => {
    const r = parseDocumentText("defaults: &d {retries: 2, port: 80}\nsvc:\n  <<: *d\n  port: 8080\n");
    expect(r).toEqual({
      ok: true,
      doc: { defaults: { retries: 2, port: 80 }, svc: { retries: 2, port: 8080 } },
    });
  });

  it.each([
    ["a: 1\na: 2\n", /^duplicated mapping key \(2:1\)$/],
    ["a: [1,\n b", /flow collection/],
    ["---\na: 1\n---\nb: 2\n", /single document/],
    ["a: 'unterminated\n", /./],
  ])("reports YAML errors in one line: %j", (text, message) => {
    const r = parseDocumentText(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(message);
      expect(r.error).not.toContain("\n");
    }
  });

  it("refuses alias bombs quickly", () => {
    let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let prev = "a";
    for (const n of "bcdefghi") {
      text += `${n}: &${n} [${Array(9).fill(`*${prev}`).join(",")}]\n`;
      prev = n;
    }
    const started = Date.now();
    const r = parseDocumentText(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/expands too much/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("JSON is read as JSON; an empty text is null", () => {
    expect(parseDocumentText('{"a": [1, {"b": null}]}')).toEqual({ ok: true, doc: { a: [1, { b: null }] } });
    expect(parseDocumentText("")).toEqual({ ok: true, doc: null });
  });
});

describe("configuration hash", () => {
  it("is the md5 of canonical JSON: key order and format do not matter", () => {
    const a = hashDeclarative({ b: 1, a: { d: [1, 2], c: "x" } });
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(hashDeclarative({ a: { c: "x", d: [1, 2] }, b: 1 })).toBe(a);
    expect(hashDeclarativeText('{"a":{"c":"x","d":[1,2]},"b":1}')).toBe(a);
    expect(hashDeclarativeText("b: 1\na:\n  d: [1, 2]\n  c: x\n")).toBe(a);
    expect(hashDeclarative({ b: 1, a: { d: [2, 1], c: "x" } })).not.toBe(a);
  });

  it("never throws on text that does not parse", () => {
    expect(hashDeclarativeText("a: [")).toMatch(/^[0-9a-f]{32}$/);
  });
});
