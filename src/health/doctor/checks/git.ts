/**
 * The stack folder's git history, where the Jenkins addon needs it: compose mounts the folder's own
 * .git into Jenkins (src/render/jenkins.ts, JENKINS_REPO_PATH) and the pipeline job builds the
 * committed HEAD's Jenkinsfile — so the folder must be a repository of its own (a .git folder, not a
 * worktree's or submodule's .git file), with a commit holding the Jenkinsfile; uncommitted changes
 * are not built.
 */
import { lstat } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { JENKINSFILE_PATH } from "../../../render/jenkins.js";
import type { DoctorCheck } from "../report.js";
import { doctorCheck } from "./check.js";

const git = (dir: string, args: string[], timeoutMs: number) =>
  execa("git", args, {
    cwd: dir,
    reject: false,
    timeout: timeoutMs,
    stdin: "ignore",
    env: { GIT_OPTIONAL_LOCKS: "0" },
  });

export async function gitChecks(dir: string, timeoutMs: number): Promise<DoctorCheck[]> {
  const dotGit = path.join(dir, ".git");
  const st = await lstat(dotGit).catch(() => undefined);
  const init = "git init && git add . && git commit -m 'stack'";
  if (!st?.isDirectory()) {
    return [
      doctorCheck(
        "git",
        "stack folder repository",
        "fail",
        st ? ".git is a file (a worktree or submodule)" : "not a git repository",
        {
          reason: "the Jenkins addon mounts the folder's own .git folder and builds its commits",
          hint: st
            ? "make the stack folder a repository of its own (git clone it)"
            : `in the stack folder: ${init}`,
        },
      ),
    ];
  }
  const head = await git(dir, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], timeoutMs);
  if (head.exitCode !== 0) {
    return [
      doctorCheck("git", "stack folder repository", "fail", "a repository without a commit", {
        reason: "the pipeline job builds the checked-out commit: there is none",
        hint: "git add . && git commit -m 'stack'",
      }),
    ];
  }
  const branch = (await git(dir, ["symbolic-ref", "--short", "-q", "HEAD"], timeoutMs)).stdout.trim();
  const sha = String(head.stdout).trim().slice(0, 12);
  const checks = [
    doctorCheck(
      "git",
      "stack folder repository",
      "ok",
      `${branch ? `on ${branch}` : "detached HEAD"} at ${sha}`,
    ),
  ];
  const tracked = await git(dir, ["cat-file", "-e", `HEAD:${JENKINSFILE_PATH}`], timeoutMs);
  checks.push(
    tracked.exitCode === 0
      ? doctorCheck("git", `${JENKINSFILE_PATH} committed`, "ok", `in ${sha}`)
      : doctorCheck("git", `${JENKINSFILE_PATH} committed`, "fail", `not in ${sha}`, {
          reason: "the pipeline job reads the Jenkinsfile from the commit it builds",
          hint: `stack render, then git add ${JENKINSFILE_PATH} && git commit`,
        }),
  );
  const status = await git(dir, ["status", "--porcelain", "--untracked-files=normal"], timeoutMs);
  const changed = String(status.stdout)
    .split("\n")
    .filter((l) => l.trim() !== "");
  checks.push(
    changed.length === 0
      ? doctorCheck("git", "working tree", "ok", "clean: Jenkins builds what is here")
      : doctorCheck(
          "git",
          "working tree",
          "warn",
          `${changed.length} uncommitted change${changed.length === 1 ? "" : "s"}`,
          {
            reason: "Jenkins builds the last commit, without them",
            hint: "commit them (git status shows which) for the pipeline to see them",
          },
        ),
  );
  return checks;
}
