// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Compose ${VAR} syntax is the subject under test
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

/** The cases of compose-go's dotenv tests (godotenv_test.go, godotenv_var_expansion_test.go), re-expressed. */
describe("parseEnvFile as Compose v2 reads .env", () => {
  const one = (line: string, environment: Record<string, string> = {}) =>
    parseEnvFile(line, ".env", { environment });

  it("parses keys, separators and export like compose-go", () => {
    expect(one("FOO =bar")).toEqual({ FOO: "bar" });
    expect(one("FOO= bar")).toEqual({ FOO: "bar" });
    expect(one("OPTION_A: 1")).toEqual({ OPTION_A: "1" });
    expect(one("OPTION_A: Foo=bar")).toEqual({ OPTION_A: "Foo=bar" });
    expect(one("OPTION_A=1:B")).toEqual({ OPTION_A: "1:B" });
    expect(one("export exportFoo=2")).toEqual({ exportFoo: "2" });
    expect(one("exportFOO=2")).toEqual({ exportFOO: "2" });
    expect(one("export\tOPTION_A=2")).toEqual({ OPTION_A: "2" });
    expect(one(`export OPTION_A="export A"`)).toEqual({ OPTION_A: "export A" });
    expect(one("FOO.BAR=foobar\nVAR-WITH-DASHES=dashes")).toEqual({
      "FOO.BAR": "foobar",
      "VAR-WITH-DASHES": "dashes",
    });
    expect(one("FOO=foobar=")).toEqual({ FOO: "foobar=" });
    expect(one("\tKEY=value")).toEqual({ KEY: "value" });
  });

  it("bare values: trailing blanks trimmed, ` #` starts a comment, `#` inside does not", () => {
    expect(one("FOO=bar ")).toEqual({ FOO: "bar" });
    expect(one("FOO=bar #this is foo")).toEqual({ FOO: "bar" });
    expect(one("FOO=bar #")).toEqual({ FOO: "bar" });
    expect(one("FOO=123#not-an-inline-comment")).toEqual({ FOO: "123#not-an-inline-comment" });
    expect(one("FOO=a\\tb")).toEqual({ FOO: "a\\tb" });
    expect(one("A=1\r\nB=2\r\n")).toEqual({ A: "1", B: "2" });
  });

  it("quoted values: escapes in double quotes only, single quotes literal, comments after the quote", () => {
    expect(one(`FOO="escaped\\"bar"`)).toEqual({ FOO: 'escaped"bar' });
    expect(one(`FOO="'d'"`)).toEqual({ FOO: "'d'" });
    expect(one(`OPTION_B='\\n'`)).toEqual({ OPTION_B: "\\n" });
    expect(one("OPTION_K='Let\\'s go!'")).toEqual({ OPTION_K: "Let's go!" });
    expect(one("J='first line\nsecond line'")).toEqual({ J: "first line\nsecond line" });
    expect(one(`KEY="Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z"`)).toEqual({
      KEY: "Z\u0007Z\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ",
    });
    expect(one(`KEY="\\x07"`)).toEqual({ KEY: "\\x07" });
    expect(one(`FOO="bar\\n\\ b\\az"`)).toEqual({ FOO: "bar\n\\ b\u0007z" });
    expect(one(`FOO="bar#baz"#`)).toEqual({ FOO: "bar#baz" });
    expect(one(`FOO="bar#baz#bang" # comment`)).toEqual({ FOO: "bar#baz#bang" });
    expect(one("FOO='bar#baz' # comment")).toEqual({ FOO: "bar#baz" });
    expect(one(`OPTION_I = "echo 'asd'" # Inline comment`)).toEqual({ OPTION_I: "echo 'asd'" });
  });

  it("unterminated quotes are errors", () => {
    for (const text of [
      `KEY="`,
      `KEY="value`,
      `KEY="value\\"`,
      `KEY="value'`,
      `KEY='`,
      `KEY='value\\'`,
      `KEY='value"`,
    ]) {
      expect(() => one(text), text).toThrow(
        expect.objectContaining({ code: "E_ENV_INVALID", place: ".env:1:5" }),
      );
    }
    expect(() => one("lol$wut")).toThrow(expect.objectContaining({ message: "expected KEY=value" }));
  });

  it("interpolates bare and double-quoted values from earlier keys (substitutions.env)", () => {
    const text =
      "OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}";
    const unset = new Set<string>();
    expect(parseEnvFile(text, ".env", { unset })).toEqual({
      OPTION_A: "1",
      OPTION_B: "1",
      OPTION_C: "1",
      OPTION_D: "1_1",
      OPTION_E: "",
    });
    expect([...unset]).toEqual(["OPTION_NOT_DEFINED"]);
    expect(one('FOO=test\nBAR="quote $FOO"')).toEqual({ FOO: "test", BAR: "quote test" });
    expect(one("BAR='quote $FOO'")).toEqual({ BAR: "quote $FOO" });
  });

  it("the process environment wins over earlier keys in references, not over the key itself", () => {
    const text = "OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}_${OPTION_B}";
    expect(one(text, { OPTION_A: "5" })).toEqual({
      OPTION_A: "1",
      OPTION_B: "5",
      OPTION_C: "5",
      OPTION_D: "5_5",
    });
    // substitutions-default.env
    const withDefault = "OPTION_A=${OPTION_A:-1}\nOPTION_B=${OPTION_A}";
    expect(one(withDefault, { OPTION_A: "5" })).toEqual({ OPTION_A: "5", OPTION_B: "5" });
    expect(one(withDefault)).toEqual({ OPTION_A: "1", OPTION_B: "1" });
  });

  it("defaults, required and alternative values as compose-go's template", () => {
    const env = { EMPTY_VAR: "", TEST_VAR: "Test Value" };
    expect(one("R=${UNSET_VAR:-Default Value}", env)).toEqual({ R: "Default Value" });
    expect(one("R=${EMPTY_VAR:-Default Value}", env)).toEqual({ R: "Default Value" });
    expect(one("R=${TEST_VAR:-Default Value}", env)).toEqual({ R: "Test Value" });
    expect(one("R=${UNSET_VAR-Default Value}", env)).toEqual({ R: "Default Value" });
    expect(one("R=${EMPTY_VAR-Default Value}", env)).toEqual({ R: "" });
    expect(one("R=${EMPTY_VAR?Test error}", env)).toEqual({ R: "" });
    expect(one("R=${TEST_VAR:?Default Value}", env)).toEqual({ R: "Test Value" });
    expect(one("R=${TEST_VAR:+set}${UNSET_VAR:+set}", env)).toEqual({ R: "set" });
    expect(() => one("A=1\nR=${UNSET_VAR:?Test error}", env)).toThrow(
      expect.objectContaining({
        code: "E_ENV_INVALID",
        place: ".env:2:3",
        message: "required variable UNSET_VAR is missing a value: Test error",
      }),
    );
    expect(() => one("R=${EMPTY_VAR:?Test error}", env)).toThrow(/required variable EMPTY_VAR/);
  });

  it("$$ and \\$ are a literal dollar; a KEY alone inherits from the environment", () => {
    expect(one('A=$$HOME\nB="x\\${A}"\nC="\\$A $A"', { HOME: "/root" })).toEqual({
      A: "$HOME",
      B: "x${A}",
      C: "$A $HOME",
    });
    expect(one("foo=bar\nFROM_OS\nbar=baz\nMISSING\n", { FROM_OS: "os" })).toEqual({
      foo: "bar",
      FROM_OS: "os",
      bar: "baz",
    });
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
    expect(quoteEnvValue("pa$$word")).toBe("'pa$$word'");
    expect(quoteEnvValue("it's $5")).toBe('"it\'s \\$5"');
  });
});
