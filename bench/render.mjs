#!/usr/bin/env node
/**
 * Speed of the CLI's everyday commands (issue 2):
 *   - `stack render` of the microservices starter with every addon: target < 1 s wall;
 *   - `stack --help`: target < 0.5 s wall.
 * `node -e 0` is measured in the same run as the baseline (bare Node start-up on this machine),
 * so the table also shows what the CLI adds on top of Node itself.
 *
 * Each render starts from a stack folder without generated files (hyperfine --prepare removes
 * them), so every run writes all 14 files. Uses hyperfine when installed, else timed spawns.
 *
 *   npm run build && node bench/render.mjs [--runs N] [--json FILE]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { opt, ROOT as root } from "./support.mjs";

const bin = join(root, "bin", "run.js");
const runs = Number(opt("runs")) || 20;
const jsonOut = opt("json");

if (!existsSync(join(root, "dist", "commands", "render.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), "gatestack-bench-render-"));
const stackDir = join(work, "market");
try {
  execFileSync(
    process.execPath,
    [bin, "init", stackDir, "--template", "microservices", "--with", "all", "--yes", "--no-render"],
    {
      stdio: "pipe",
    },
  );
  const generated = ["compose.yaml", "Jenkinsfile", "config", ".gatestack"].map((p) => join(stackDir, p));
  const cases = [
    { name: "node -e 0 (baseline)", command: [process.execPath, "-e", "0"], target: undefined },
    { name: "stack --help", command: [process.execPath, bin, "--help"], target: 0.5 },
    {
      name: "stack render (microservices, all addons)",
      command: [process.execPath, bin, "render", "--dir", stackDir],
      prepare: ["rm", "-rf", ...generated],
      target: 1,
    },
  ];
  const results = hasHyperfine() ? withHyperfine(cases) : withSpawns(cases);
  const baseline = results[0].mean;
  const rows = results.map((r, i) => {
    const target = cases[i].target;
    return {
      command: r.name,
      mean_s: r.mean,
      min_s: r.min,
      max_s: r.max,
      cpu_s: r.cpu,
      vs_node: r.mean / baseline,
      target_s: target ?? null,
      pass: target === undefined ? null : r.mean < target,
    };
  });
  console.log(
    `\nnode ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  printTable(rows);
  if (jsonOut) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(jsonOut, `${JSON.stringify({ runs, node: process.version, rows }, null, 2)}\n`);
  }
  if (rows.some((r) => r.pass === false)) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}

function hasHyperfine() {
  return spawnSync("hyperfine", ["--version"], { stdio: "ignore" }).status === 0;
}

function quote(parts) {
  return parts.map((p) => (/^[\w./=:-]+$/.test(p) ? p : `'${p.replaceAll("'", "'\\''")}'`)).join(" ");
}

function withHyperfine(cases) {
  const out = join(work, "hyperfine.json");
  const argv = ["--warmup", "3", "--runs", String(runs), "--export-json", out, "--style", "basic", "-N"];
  // -N (no shell) cannot be combined with per-command --prepare in hyperfine 1.15: run cases one by one.
  return cases.map((c) => {
    const caseArgs = c.prepare
      ? [
          "--warmup",
          "3",
          "--runs",
          String(runs),
          "--export-json",
          out,
          "--style",
          "basic",
          "--prepare",
          quote(c.prepare),
          quote(c.command),
        ]
      : [...argv, quote(c.command)];
    execFileSync("hyperfine", caseArgs, { stdio: ["ignore", "inherit", "inherit"] });
    const [r] = JSON.parse(readFileSync(out, "utf8")).results;
    return { name: c.name, mean: r.mean, min: r.min, max: r.max, cpu: r.user + r.system };
  });
}

function withSpawns(cases) {
  return cases.map((c) => {
    const times = [];
    for (let i = 0; i < runs + 3; i++) {
      if (c.prepare) spawnSync(c.prepare[0], c.prepare.slice(1));
      const start = process.hrtime.bigint();
      const r = spawnSync(c.command[0], c.command.slice(1), { stdio: "ignore" });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}`);
      if (i >= 3) times.push(seconds);
    }
    return {
      name: c.name,
      mean: times.reduce((a, b) => a + b, 0) / times.length,
      min: Math.min(...times),
      max: Math.max(...times),
      cpu: null,
    };
  });
}

function printTable(rows) {
  const fmt = (s) => `${(s * 1000).toFixed(0)} ms`;
  const lines = [
    "| command | mean wall | min | max | CPU (user+sys) | × node start-up | target (wall) | result |",
    "|---|---:|---:|---:|---:|---:|---:|---|",
    ...rows.map(
      (r) =>
        `| ${r.command} | ${fmt(r.mean_s)} | ${fmt(r.min_s)} | ${fmt(r.max_s)} | ${
          r.cpu_s === null ? "—" : fmt(r.cpu_s)
        } | ${r.vs_node.toFixed(1)}× | ${
          r.target_s === null ? "—" : `< ${fmt(r.target_s)}`
        } | ${r.pass === null ? "baseline" : r.pass ? "pass" : "FAIL"} |`,
    ),
  ];
  console.log(`\n${lines.join("\n")}`);
}
