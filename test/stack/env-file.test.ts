import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEnvFile, quoteEnvValue, serializeEnvFile } from "../../src/stack/env-file.js";

describe("parseEnvFile", () => {
  it("reads bare, quoted and commented lines as Docker Compose does", () => {
    const text = [
      "# a comment",
      "",
      "A=plain",
      "B = spaced  # trailing comment",
      "C='single # not a comment'",
      'D="double \\"escaped\\"\\nnext"',
      "export E=exported",
      "F=",
      "G=a#b",
      'H="multi',
      'line"',
    ].join("\n");
    expect(parseEnvFile(text)).toEqual({
      A: "plain",
      B: "spaced",
      C: "single # not a comment",
      D: 'double "escaped"\nnext',
      E: "exported",
      F: "",
      G: "a#b",
      H: "multi\nline",
    });
  });

  it("names file:line:col of a malformed line", () => {
    expect(() => parseEnvFile("A=1\nnot a pair\n", ".env")).toThrow(
      expect.objectContaining({ code: "E_ENV_INVALID", place: ".env:2:1", message: "expected KEY=value" }),
    );
    expect(() => parseEnvFile("A=1\nB='open\n")).toThrow(
      expect.objectContaining({ place: ".env:2:3", message: "unterminated single-quoted value" }),
    );
    expect(() => parseEnvFile("1X=2")).toThrow(
      expect.objectContaining({ message: 'invalid variable name "1X"' }),
    );
  });
});

describe("serializeEnvFile", () => {
  it("writes comments and quotes only what needs it", () => {
    const text = serializeEnvFile(
      [
        { key: "TOKEN", value: "abc-_123", comment: ["Admin token."] },
        { key: "PHRASE", value: "two words" },
        { key: "PEM", value: "-----BEGIN-----\nxyz\n-----END-----" },
      ],
      ["header"],
    );
    expect(text).toBe(
      "# header\n\n# Admin token.\nTOKEN=abc-_123\nPHRASE='two words'\nPEM=\"-----BEGIN-----\\nxyz\\n-----END-----\"\n",
    );
  });

  it("round-trips any value", () => {
    const key = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/);
    fc.assert(
      fc.property(fc.dictionary(key, fc.string()), (values) => {
        const entries = Object.entries(values).map(([k, value]) => ({ key: k, value }));
        // Bare values are trimmed when read back, as Compose does; leading/trailing space forces quotes.
        expect(parseEnvFile(serializeEnvFile(entries))).toEqual(values);
      }),
    );
  });

  it("quoteEnvValue keeps url-safe secrets bare", () => {
    expect(quoteEnvValue("Zm9v_-bar=")).toBe("Zm9v_-bar=");
    expect(quoteEnvValue("it's")).toBe('"it\'s"');
  });
});
