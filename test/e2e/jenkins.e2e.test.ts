/**
 * The Jenkins image a stack builds, and its pipeline's shell steps run on it. No jenkins/jenkins image
 * can be pulled here, so its base is the STAND-IN from images/build-offline.sh (`jenkins`): not Jenkins
 * — a Debian image with the official image's user, folders and git, whose jenkins-plugin-cli only
 * checks that every plugin is pinned `name:version` and records the list. On it `stack up`'s own image
 * step builds the generated config/jenkins/Dockerfile (apt python3/pytest, the CLI copied from the
 * gateway image the global setup built); then the Jenkinsfile's `sh` steps — Validate, Test services,
 * Render check, in a checkout made with the job's own refspec and branch — run in that image against
 * a freshly `stack init`ed folder. The push stage needs a running gateway and is not run here.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadComposeProject, type ServiceConfig } from "../../src/runtime/compose/project.js";
import { ensureImages } from "../../src/runtime/images.js";
import { silentReporter } from "../../src/runtime/progress.js";
import { parseEnvFile } from "../../src/stack/env-file.js";
import { initStack } from "./support/cli.js";
import { docker, purgeProject, uniqueProject } from "./support/docker.js";
import { freePort } from "./support/net.js";

const BUILD_OFFLINE = fileURLToPath(new URL("./images/build-offline.sh", import.meta.url));
const JENKINS_STAGES = ["Validate", "Test services", "Render check"];

let work: string;
let dir: string;
let project: string;
let jenkins: ServiceConfig;

const git = (...args: string[]) =>
  execa("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@example.com", ...args], { cwd: dir });

/** The `sh` commands of the named stages, each prefixed by `cd` into its `dir(...)` block's folder. */
function stageCommands(jenkinsfile: string, stages: string[]): string[] {
  const out: string[] = [];
  for (const stage of stages) {
    const start = jenkinsfile.indexOf(`stage('${stage}')`);
    expect(start, stage).toBeGreaterThanOrEqual(0);
    const end = jenkinsfile.indexOf("stage('", start + 1);
    const body = jenkinsfile.slice(start, end < 0 ? undefined : end);
    let folder = ".";
    for (const line of body.split("\n")) {
      const inDir = /^\s*dir\('([^']+)'\) \{$/.exec(line);
      if (inDir) folder = inDir[1] as string;
      else if (/^\s*\}$/.test(line)) folder = ".";
      const sh = /^\s*sh '([^'\n]+)'$/.exec(line);
      if (sh) out.push(`(cd '${folder}' && ${sh[1]})`);
    }
  }
  return out;
}

/** The git checkout the job's Job DSL asks for (refspec + branch), then the given steps, as one script. */
async function pipelineScript(stages: string[]): Promise<string> {
  const casc = parse(await readFile(path.join(dir, "config/jenkins/casc.yaml"), "utf8")) as {
    jobs: Array<{ script: string }>;
  };
  const job = casc.jobs[0]?.script ?? "";
  const url = /url\('([^']+)'\)/.exec(job)?.[1];
  const refspec = /refspec\('([^']+)'\)/.exec(job)?.[1];
  const branch = /branch\('([^']+)'\)/.exec(job)?.[1];
  expect([url, refspec, branch].every(Boolean)).toBe(true);
  const jenkinsfile = await readFile(path.join(dir, "Jenkinsfile"), "utf8");
  return [
    "set -e",
    "git init -q /tmp/workspace && cd /tmp/workspace",
    `git fetch -q --force '${url}' '${refspec}'`,
    `git checkout -q -f "$(git rev-parse '${branch}^{commit}')"`,
    ...stageCommands(jenkinsfile, stages),
  ].join("\n");
}

/** Runs a script in the built Jenkins image as compose would start it: its environment and mounts. */
async function inJenkins(script: string): Promise<{ code: number; output: string }> {
  const mounts = jenkins.volumes
    .filter((v) => v.type === "bind")
    .flatMap((v) => ["-v", `${v.source}:${v.target}${v.read_only ? ":ro" : ""}`]);
  const env = Object.entries(jenkins.environment).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  const r = await execa(
    "docker",
    ["run", "--rm", "--entrypoint", "/bin/sh", ...mounts, ...env, jenkins.image, "-c", script],
    { reject: false, all: true, timeout: 120_000 },
  );
  return { code: r.exitCode ?? -1, output: r.all ?? "" };
}

beforeAll(async () => {
  // The jenkins/jenkins stand-in is built only when named (cached by its recipe label).
  execFileSync(BUILD_OFFLINE, ["jenkins"], { stdio: ["ignore", "ignore", "inherit"] });
  work = await mkdtemp(path.join(tmpdir(), "gs-e2e-jenkins-"));
  dir = path.join(work, "ci");
  project = uniqueProject("ci");
  await initStack(dir, "monolith", project, { http: await freePort(), https: await freePort() }, [
    "--with",
    "jenkins",
  ]);
  // A service test that needs the app's own libraries (FastAPI's TestClient) on the image's python3.
  await mkdir(path.join(dir, "services/app/tests"));
  await writeFile(
    path.join(dir, "services/app/tests/test_health.py"),
    [
      "from fastapi.testclient import TestClient",
      "",
      "from main import app",
      "",
      "",
      "def test_health():",
      '    assert TestClient(app).get("/health").status_code == 200',
      "",
    ].join("\n"),
  );
  // The folder's branch is not main: the job must build whatever branch the repository is on.
  await execa("git", ["init", "-q", "-b", "trunk"], { cwd: dir });
  await git("add", "-A");
  await git("commit", "-q", "-m", "stack");
  const loaded = await loadComposeProject({
    dir,
    projectName: project,
    dotenv: parseEnvFile(await readFile(path.join(dir, ".env"), "utf8")),
    profiles: ["ci"],
  });
  jenkins = loaded.services.jenkins as ServiceConfig;
  // stack up's image step, for the Jenkins service alone (the gateway image is the global setup's).
  await ensureImages(docker, { ...loaded, services: { jenkins } }, { reporter: silentReporter });
}, 300_000);

afterAll(async () => {
  await purgeProject(project);
  await rm(work, { recursive: true, force: true });
});

describe("the stack's Jenkins image (on a jenkins/jenkins stand-in)", () => {
  it("bakes in exactly plugins.txt, every plugin pinned, and has python3, pytest and the stack CLI", async () => {
    const listed = (await readFile(path.join(dir, "config/jenkins/plugins.txt"), "utf8"))
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"));
    const r = await inJenkins(
      "cat /usr/share/jenkins/ref/plugins/stand-in-plugins.txt; id -un; python3 -m pytest --version; stack --version",
    );
    expect(r.code, r.output).toBe(0);
    const lines = r.output.split("\n");
    expect(lines.slice(0, listed.length)).toEqual(listed);
    expect(lines).toContain("jenkins");
    expect(r.output).toMatch(/pytest \d+/);
    expect(r.output).toMatch(/^gatestack\/\d+\.\d+\.\d+ /m);
  });

  it("runs the Jenkinsfile's validate, service tests and render check on a fresh stack", async () => {
    const r = await inJenkins(await pipelineScript(JENKINS_STAGES));
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain("✓ stack.yaml is valid");
    expect(r.output).toMatch(/1 passed/);
    expect(r.output).toMatch(/generated files in \. are up to date/);
  });

  it("builds the branch the repository is on now, and fails when its generated files are stale", async () => {
    await git("checkout", "-q", "-b", "feature");
    const stackYaml = path.join(dir, "stack.yaml");
    await writeFile(
      stackYaml,
      (await readFile(stackYaml, "utf8")).replace(/^domain: .*$/m, "domain: ci.example.com"),
    );
    await git("commit", "-q", "-am", "domain changed, files not re-rendered");
    const r = await inJenkins(await pipelineScript(["Render check"]));
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toMatch(/generated files are stale: config\/caddy\/Caddyfile/);
  });
});
