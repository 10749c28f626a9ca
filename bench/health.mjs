#!/usr/bin/env node
/**
 * Speed of `stack health` (issue 6): the whole report of the microservices stack in < 3 s.
 *
 * Runs `stack health --json` N times against a running stack and reports, per run, the report's
 * own `durationMs` (Docker inspect + every layer's probes, concurrently) and the wall time of the
 * CLI process; `node -e 0` and `stack --help` are timed in the same run as baselines (Node and
 * CLI start-up on this machine), so the table also shows what the probes add.
 *
 *   npm run build && node bench/health.mjs --dir DIR [--runs N] [--json FILE]
 *   npm run build && node bench/health.mjs --boot [--runs N]   # init + up the microservices starter
 *                                                             # in a temp folder, down at the end
 * --boot needs the images `stack up` uses (the offline stand-ins: test/e2e/images/build-offline.sh).
 * Exits 1 when the median report duration misses the target.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { opt, ROOT as root } from "./support.mjs";

const TARGET_MS = 3000;
const bin = join(root, "bin", "run.js");
const runs = Number(opt("runs")) || 10;
const jsonOut = opt("json");
const boot = process.argv.includes("--boot");
let dir = opt("dir");

if (!existsSync(join(root, "dist", "commands", "health.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(1);
}
if (!dir && !boot) {
  console.error(
    "usage: node bench/health.mjs --dir DIR (a running stack) | --boot  [--runs N] [--json FILE]",
  );
  process.exit(2);
}

const stack = (cliArgs, opts = {}) =>
  spawnSync(process.execPath, [bin, ...cliArgs], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    ...opts,
  });

async function freePort() {
  const s = createServer();
  await new Promise((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function timed(command) {
  const started = process.hrtime.bigint();
  const r = spawnSync(command[0], command.slice(1), {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, r };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: s[Math.floor(s.length / 2)],
    min: s[0],
    max: s[s.length - 1],
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
};
const fmt = (ms) => `${Math.round(ms)} ms`;

let work;
try {
  if (boot) {
    work = mkdtempSync(join(tmpdir(), "gatestack-bench-health-"));
    dir = join(work, "market");
    const [http, https] = [await freePort(), await freePort()];
    execFileSync(
      process.execPath,
      [
        bin,
        "init",
        dir,
        "-t",
        "microservices",
        "--yes",
        "--name",
        "bench-health",
        "--http-port",
        String(http),
        "--https-port",
        String(https),
      ],
      { stdio: "inherit" },
    );
    execFileSync(process.execPath, [bin, "up", "--dir", dir], { stdio: "inherit" });
  }
  const node = [];
  const help = [];
  const wall = [];
  const report = [];
  let last;
  for (let i = 0; i < runs; i++) {
    node.push(timed([process.execPath, "-e", "0"]).ms);
    help.push(timed([process.execPath, bin, "--help"]).ms);
    const h = timed([process.execPath, bin, "health", "--dir", dir, "--json"]);
    wall.push(h.ms);
    last = JSON.parse(h.r.stdout);
    if (last.error) throw new Error(`stack health: ${last.error.message}`);
    report.push(last.durationMs);
  }
  const rows = [
    ["node -e 0 (baseline)", stats(node), "—"],
    ["stack --help (CLI start-up)", stats(help), "—"],
    ["stack health: report (durationMs)", stats(report), `< ${TARGET_MS} ms`],
    ["stack health: CLI wall", stats(wall), "—"],
  ];
  const checks = last.layers.reduce((n, l) => n + l.checks.length, 0);
  console.log(
    `\nstack health on ${last.stack}: ${checks} checks, last status ${last.status} (exit ${last.exitCode}); ${runs} runs`,
  );
  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}\n`,
  );
  console.log("| measure | median | min | max | target | result |\n|---|---:|---:|---:|---:|---|");
  for (const [name, s, target] of rows) {
    const result = target === "—" ? "" : s.median < TARGET_MS ? "pass" : "FAIL";
    console.log(`| ${name} | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} | ${target} | ${result} |`);
  }
  if (jsonOut)
    writeFileSync(
      jsonOut,
      JSON.stringify(
        { runs, checks, rows: rows.map(([name, s, target]) => ({ name, ...s, target })) },
        null,
        2,
      ),
    );
  process.exitCode = stats(report).median < TARGET_MS ? 0 : 1;
} finally {
  if (boot && dir) stack(["down", "--dir", dir, "--volumes", "--rmi"], { stdio: "inherit" });
  if (work) rmSync(work, { recursive: true, force: true });
}
