/**
 * Runs the gateway's declarative loader (what `stack gateway validate` uses) over every
 * declarative file in a checkout of Kong's decK repository (its `testdata` folders) and
 * classifies the results: accepted, refused as a Kong Enterprise feature, refused as not yet
 * supported here, refused otherwise (with the messages, most frequent first).
 *
 *   npx tsx test/support/deck-testdata.ts <decK git dir> [--list] [--json]
 *
 * The files are read from the git directory's HEAD (`git ls-tree`, `git show`) and extracted into
 * a temporary directory that is removed afterwards. Files that are not Kong declarative
 * documents (decK's own test inputs such as OpenAPI specs, Terraform, expected outputs that are not
 * objects with Kong collections) are counted as skipped. Nothing of decK is kept or committed.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseDeclarativeConfig } from "../../src/gateway/config/load.js";
import { errorLines } from "../../src/gateway/config/report.js";
import { parseDocumentText } from "../../src/gateway/config/text.js";
import { loadPluginRegistry } from "../../src/gateway/plugins/registry.js";

type Outcome = "accepted" | "enterprise" | "not-supported" | "refused" | "skipped";

interface FileResult {
  path: string;
  outcome: Outcome;
  messages: string[];
}

/** Top-level keys that make a document a Kong declarative configuration. */
const KONG_KEYS = [
  "_format_version",
  "services",
  "routes",
  "upstreams",
  "consumers",
  "plugins",
  "certificates",
  "ca_certificates",
  "consumer_groups",
  "vaults",
];

function classify(messages: readonly string[]): Outcome {
  if (messages.some((m) => /Kong Enterprise/.test(m))) return "enterprise";
  // oauth2 needs database mode (DB-less, Kong fails its token writes): counted with the not-yet
  if (messages.some((m) => /not supported (yet )?by this gateway|needs a database/.test(m)))
    return "not-supported";
  return "refused";
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const gitDir = args.find((a) => !a.startsWith("--"));
  if (gitDir === undefined) {
    process.stderr.write("usage: npx tsx test/support/deck-testdata.ts <decK git dir> [--list] [--json]\n");
    process.exit(2);
  }
  const git = (...a: string[]) =>
    execFileSync("git", ["-C", gitDir, ...a], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const paths = git("ls-tree", "-r", "HEAD", "--name-only")
    .split("\n")
    .filter((p) => /(^|\/)testdata\//.test(p) && /\.(ya?ml|json)$/.test(p));
  const dir = await mkdtemp(join(tmpdir(), "deck-testdata-"));
  const registry = await loadPluginRegistry([]);
  const results: FileResult[] = [];
  try {
    for (const p of paths) {
      const file = join(dir, p);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, git("show", `HEAD:${p}`));
      const text = await readFile(file, "utf8");
      const parsed = parseDocumentText(text);
      if (
        !parsed.ok ||
        typeof parsed.doc !== "object" ||
        parsed.doc === null ||
        Array.isArray(parsed.doc) ||
        !KONG_KEYS.some((k) => Object.hasOwn(parsed.doc as object, k))
      ) {
        results.push({ path: p, outcome: "skipped", messages: [] });
        continue;
      }
      const r = parseDeclarativeConfig(text, { env: {}, plugins: registry.get });
      if (r.ok) {
        results.push({ path: p, outcome: "accepted", messages: [] });
        continue;
      }
      const lines = errorLines(r.error);
      const messages = lines.length > 0 ? lines.map((l) => `${l.pointer}: ${l.message}`) : [r.error.message];
      results.push({ path: p, outcome: classify(messages), messages });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (args.includes("--json")) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  const total = results.length - count("skipped");
  process.stdout.write(
    `${total} declarative files (${count("skipped")} other files skipped): ${count("accepted")} accepted, ` +
      `${count("enterprise")} refused as Kong Enterprise, ${count("not-supported")} refused as not supported yet, ` +
      `${count("refused")} refused otherwise\n`,
  );
  const reasons = new Map<string, number>();
  for (const r of results) {
    if (r.outcome === "accepted" || r.outcome === "skipped") continue;
    // one reason per file: its messages with positions stripped, deduplicated
    const seen = new Set(r.messages.map((m) => `${r.outcome}  ${m.replace(/\[\d+\]/g, "[]")}`));
    for (const s of seen) reasons.set(s, (reasons.get(s) ?? 0) + 1);
  }
  for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1])) {
    process.stdout.write(`  ${String(n).padStart(4)}  ${reason}\n`);
  }
  if (args.includes("--list")) {
    for (const r of results) {
      if (r.outcome === "skipped") continue;
      process.stdout.write(`${r.outcome.padEnd(13)} ${r.path}${r.messages[0] ? `  ${r.messages[0]}` : ""}\n`);
    }
  }
}

await main();
