import { describe, expect, it } from "vitest";
import { parseBytes, parseDuration } from "../../../src/runtime/compose/units.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;
const PiB = 1024 * TiB;

// The forms docker/go-units' RAMInBytes accepts (what Compose reads mem_limit, shm_size, … with).
describe("parseBytes", () => {
  it.each([
    ["32", 32],
    ["32b", 32],
    ["32B", 32],
    ["0", 0],
    ["-0", 0],
    ["0 ", 0],
    ["32 B", 32],
    ["32.", 32],
    ["32. b", 32],
    ["32.3", 32],
    ["32k", 32 * KiB],
    ["32K", 32 * KiB],
    ["32kb", 32 * KiB],
    ["32Kb", 32 * KiB],
    ["32Kib", 32 * KiB],
    ["32KIB", 32 * KiB],
    ["100kb", 100 * KiB],
    ["512m", 512 * MiB],
    ["512MiB", 512 * MiB],
    ["512 MB", 512 * MiB],
    ["32Mb", 32 * MiB],
    ["1.5g", 1.5 * GiB],
    ["1.5GiB", 1.5 * GiB],
    ["32Gb", 32 * GiB],
    ["32Tb", 32 * TiB],
    ["2t", 2 * TiB],
    ["1p", PiB],
    ["32Pb", 32 * PiB],
    ["32PB", 32 * PiB],
    ["32P", 32 * PiB],
    [".5k", 512],
    ["0.3MB", Math.trunc(0.3 * MiB)],
    ["32.3 mb", Math.trunc(32.3 * MiB)],
    ["1e3", 1000],
  ])("%s → %d bytes", (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  it("takes a YAML number as bytes", () => {
    expect(parseBytes(1048576)).toBe(1048576);
    expect(() => parseBytes(-1)).toThrow(/invalid byte size '-1'/);
  });

  it.each([
    ["", /no number/],
    ["hello", /no number/],
    ["m", /no number/],
    ["-32", /negative/],
    ["-32b", /negative/],
    [" 32", /'' is not a number/],
    [" 32 ", /'' is not a number/],
    ["32m b", /'32m' is not a number/],
    ["32b.", /'32b.' is not a number/],
    [".", /'.' is not a number/],
    ["0x10", /'0x10' is not a number/],
    ["32bm", /unknown unit 'bm'/],
    ["32 bb", /unknown unit 'bb'/],
    ["32  b", /unknown unit ' b'/],
    ["32 b b", /unknown unit 'b b'/],
    ["32e", /unknown unit 'e'/],
    ["32kk", /unknown unit 'kk'/],
    ["32kib2", /is not a number/],
    ["32kibb", /unknown unit 'kibb'/],
    ["32ki", /unknown unit 'ki'/],
    ["32ib", /unknown unit 'ib'/],
    ["1.5 gigabytes", /unknown unit 'gigabytes'/],
  ])("refuses %j", (text, why) => {
    expect(() => parseBytes(text)).toThrow(why);
    expect(() => parseBytes(text)).toThrow(
      new RegExp(`^invalid byte size '${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}'`),
    );
  });
});

describe("parseDuration", () => {
  it("reads Go durations and seconds", () => {
    expect(parseDuration("1m30s")).toBe(90e9);
    expect(parseDuration(2)).toBe(2e9);
    expect(() => parseDuration("10 parsecs")).toThrow(/invalid duration/);
  });
});
