#!/usr/bin/env node
/**
 * `stack up` of the monolith to all-healthy, and `stack down`, with the images present.
 * Targets (issue 5): up ≤ 20 s, down ≤ 10 s. Exits 1 when a target is missed.
 *
 *   npm run build && node bench/up-down.mjs [--runs N] [--json FILE]
 *
 * Needs a Docker engine and the images (test/e2e/images/build-offline.sh and build-gateway.sh offline);
 * a warm-up `up` builds the app image first, so the timed runs measure starting the stack, not building.
 * Baseline, same run: create + start + remove one container of the python image (the engine's own cost).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { median, opt, ROOT as root } from "./support.mjs";

const runs = Number(opt("runs")) || 3;
const jsonOut = opt("json");

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(cmd, argv, opts = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    ...opts,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0)
    throw new Error(`${cmd} ${argv.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const stack = (...argv) => run(process.execPath, [path.join(root, "bin/run.js"), ...argv]);

const work = mkdtempSync(path.join(tmpdir(), "gs-bench-updown-"));
const dir = path.join(work, "bench");
const name = `bench-${process.pid}`;
const results = { baseline: [], up: [], upNoChange: [], down: [] };
try {
  stack(
    "init",
    dir,
    "--template",
    "monolith",
    "--yes",
    "--name",
    name,
    "--http-port",
    String(await freePort()),
    "--https-port",
    String(await freePort()),
  );
  console.error("warm-up: stack up (builds the app image), stack down");
  stack("up", "--dir", dir);
  stack("down", "--dir", dir);
  for (let i = 0; i < runs; i++) {
    const cid = `${name}-baseline`;
    const b = run("sh", [
      "-c",
      `docker create --name ${cid} python:3.12-slim true >/dev/null && docker start ${cid} >/dev/null && docker rm -f ${cid} >/dev/null`,
    ]);
    results.baseline.push(b.ms);
    const up = stack("up", "--dir", dir, "--json");
    const result = JSON.parse(up.stdout.trim().split("\n").at(-1));
    if (result.summary.create !== 3)
      throw new Error(`expected 3 containers created, got ${JSON.stringify(result.summary)}`);
    results.up.push(up.ms);
    results.upNoChange.push(stack("up", "--dir", dir).ms);
    results.down.push(stack("down", "--dir", dir).ms);
    console.error(
      `run ${i + 1}/${runs}: up ${(up.ms / 1000).toFixed(1)} s, down ${(results.down.at(-1) / 1000).toFixed(1)} s`,
    );
  }
} finally {
  spawnSync(process.execPath, [path.join(root, "bin/run.js"), "down", "--dir", dir, "--volumes", "--rmi"], {
    cwd: root,
  });
  rmSync(work, { recursive: true, force: true });
}

const stats = (xs) => ({
  mean: xs.reduce((a, b) => a + b, 0) / xs.length,
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
});
const rows = [
  ["docker create+start+rm, 1 container (baseline)", results.baseline, undefined],
  ["stack up (monolith, images present) → all healthy", results.up, 20_000],
  ["stack up again (nothing to change)", results.upNoChange, undefined],
  ["stack down", results.down, 10_000],
];
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const base = stats(results.baseline).median;
console.log(
  `| step | median | min | max | × baseline | target | result |\n|---|---:|---:|---:|---:|---:|---|`,
);
let failed = false;
for (const [label, xs, target] of rows) {
  const st = stats(xs);
  const ok = target === undefined || st.median <= target;
  failed ||= !ok;
  console.log(
    `| ${label} | ${s(st.median)} | ${s(st.min)} | ${s(st.max)} | ${(st.median / base).toFixed(1)}× | ${target ? `≤ ${target / 1000} s` : "—"} | ${target ? (ok ? "pass" : "FAIL") : ""} |`,
  );
}
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ runs, results }, null, 2)}\n`);
process.exit(failed ? 1 : 0);
