import { execa } from "execa";
import { describe, expect, it } from "vitest";

const bin = new URL("../../bin/run.js", import.meta.url).pathname;

describe("base command", () => {
  it("rejects unknown flags with exit 2 and a usage error", async () => {
    const r = await execa(bin, ["schema", "--bogus"], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("Nonexistent flag: --bogus");
  });

  it("prints one JSON error document on stdout under --json", async () => {
    const r = await execa(bin, ["schema", "--json", "--bogus"], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "E_USAGE" } });
  });

  it("a flag without the value it needs is a usage error too (exit 2), not an internal one", async () => {
    const r = await execa(bin, ["down", "--dir", "/nonexistent", "--rmi", "--json"], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({
      error: { code: "E_USAGE", message: "Flag --rmi expects one of these values: local, all" },
    });
  });

  it("prints the stack.yaml JSON Schema", async () => {
    const r = await execa(bin, ["schema", "--json"]);
    const schema = JSON.parse(r.stdout) as { required: string[] };
    expect(schema.required).toEqual(["name", "template", "services"]);
  });
});
