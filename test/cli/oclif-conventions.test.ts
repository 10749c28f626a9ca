/**
 * What users of other oclif CLIs try first, through the built CLI (bin/run.js): help, version,
 * shell completion (bash and zsh by @oclif/plugin-autocomplete, fish by `stack autocomplete fish`,
 * checked in a real fish), did-you-mean for a mistyped command, and bin/dev.js running the sources.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closestCommand } from "../../src/cli/hooks/command-not-found.js";

const bin = new URL("../../bin/run.js", import.meta.url).pathname;
const dev = new URL("../../bin/dev.js", import.meta.url).pathname;
// HOME for the autocomplete cache it builds (~/.cache/gatestack/autocomplete).
let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "gs-oclif-"));
});
afterAll(() => rm(home, { recursive: true, force: true }));

const stack = (args: string[], file = bin) =>
  execa(file, args, {
    reject: false,
    env: { NO_COLOR: "1", HOME: home, XDG_CACHE_HOME: join(home, ".cache") },
  });

describe.concurrent("help and version", () => {
  it("stack help lists the commands and topics; --help and -h say the same", async () => {
    const [help, long, short] = await Promise.all([stack(["help"]), stack(["--help"]), stack(["-h"])]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("USAGE\n  $ stack [COMMAND]");
    expect(help.stdout).toMatch(/^ {2}gateway +The Kong-compatible API gateway/m);
    expect(help.stdout).toMatch(/^ {2}render +Generate compose\.yaml/m);
    expect(help.stdout).toMatch(/^ {2}version\b/m);
    expect(long.stdout).toBe(help.stdout);
    expect(short.stdout).toBe(help.stdout);
  });

  it("stack help up is the command's help, as stack up --help and stack up -h", async () => {
    const [help, long, short] = await Promise.all([
      stack(["help", "up"]),
      stack(["up", "--help"]),
      stack(["up", "-h"]),
    ]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("$ stack up");
    expect(help.stdout).toContain("--wait-timeout");
    expect(long.stdout).toBe(help.stdout);
    expect(short.stdout).toBe(help.stdout);
  });

  it("stack version, --version, -v and version --json", async () => {
    const [v, long, short, json] = await Promise.all([
      stack(["version"]),
      stack(["--version"]),
      stack(["-v"]),
      stack(["version", "--json"]),
    ]);
    expect(v.stdout).toMatch(/^gatestack\/\d+\.\d+\.\d+ \S+ node-v\d+/);
    expect(long.stdout).toBe(v.stdout);
    expect(short.stdout).toBe(v.stdout);
    expect(JSON.parse(json.stdout)).toMatchObject({ cliVersion: v.stdout.split(" ")[0] });
  });
});

describe.concurrent("shell completion", () => {
  it("stack autocomplete bash / zsh: setup instructions and the script line", async () => {
    for (const shell of ["bash", "zsh"]) {
      const r = await stack(["autocomplete", shell]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain(`stack autocomplete script ${shell}`);
      const script = await stack(["autocomplete", "script", shell]);
      expect(script.stdout).toContain(`STACK_AC_${shell.toUpperCase()}_SETUP_PATH=`);
    }
  });

  it("stack autocomplete fish: a script fish completes commands, topics, flags and flag values with", async () => {
    const script = await stack(["autocomplete", "fish"]);
    expect(script.exitCode, script.stderr).toBe(0);
    const file = join(home, "stack.fish");
    await writeFile(file, script.stdout);
    // A real fish (Debian's fish package; .ci/run installs it).
    const complete = async (line: string) => {
      const r = await execa("fish", [
        "--no-config",
        "-c",
        `source ${file}; complete -C ${JSON.stringify(line)}`,
      ]);
      return r.stdout.split("\n").map((l) => l.split("\t")[0]);
    };
    expect(await complete("stack gat")).toEqual(["gateway"]);
    expect(await complete("stack gateway ")).toEqual(
      expect.arrayContaining(["sync", "dump", "validate", "serve"]),
    );
    expect(await complete("stack render --ta")).toEqual(["--target"]);
    expect(await complete("stack render --target ")).toEqual(["compose", "kubernetes", "swarm"]);
    expect(await complete("stack render --dir shop --ch")).toEqual(["--check"]);
    // a flag of another command is not offered
    expect(await complete("stack ps --ch")).toEqual([""]);
  });
});

describe.concurrent("did you mean", () => {
  it("a mistyped command names the closest one (exit 127), also in a topic", async () => {
    const r = await stack(["rnder"]);
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toBe(
      "✗ rnder is not a stack command\n  hint: did you mean `stack render`? (`stack help` lists the commands)",
    );
    const topic = await stack(["gateway", "synk"]);
    expect(topic.exitCode).toBe(127);
    expect(topic.stderr).toContain("did you mean `stack gateway sync`?");
  });

  it("closestCommand picks the nearest id, ties by name", () => {
    expect(closestCommand("rnder", ["render", "restart", "up"])).toBe("render");
    expect(closestCommand("gateway:synk", ["gateway:sync", "gateway:dump"])).toBe("gateway:sync");
    expect(closestCommand("xx", ["ab", "aa"])).toBe("aa");
    expect(closestCommand("x", [])).toBeUndefined();
  });
});

describe("bin/dev.js", () => {
  it("runs the CLI from the TypeScript sources: the same answers as the build", async () => {
    const [src, built] = await Promise.all([stack(["schema", "--json"], dev), stack(["schema", "--json"])]);
    expect(src.exitCode, src.stderr).toBe(0);
    expect(JSON.parse(src.stdout)).toEqual(JSON.parse(built.stdout));
    const typo = await stack(["rnder"], dev);
    expect(typo.exitCode).toBe(127);
    expect(typo.stderr).toContain("did you mean `stack render`?");
  }, 120_000);
});
