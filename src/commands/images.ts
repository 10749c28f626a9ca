import { existsSync } from "node:fs";
import path from "node:path";
import { Flags } from "@oclif/core";
import { execa } from "execa";
import { BaseCommand } from "../cli/base-command.js";
import { stackDirFlag } from "../cli/flags.js";
import { GatestackError } from "../errors.js";
import { loadComposeProject } from "../runtime/compose/project.js";
import { connectDocker, ensureEngine } from "../runtime/engine.js";
import { type ImageSource, imageId, imagesToEnsure } from "../runtime/images.js";
import { renderTable } from "../runtime/ps.js";
import { DEFAULT_NODE_IMAGE, imageFor } from "../stack/images.js";
import { loadStack } from "../stack/load.js";
import { PACKAGE_ROOT } from "../stack/package-paths.js";
import type { StackConfig } from "../stack/schema.js";

interface ImageRow {
  image: string;
  services: string[];
  /** Images built FROM this one. */
  baseOf?: string[];
  source: ImageSource;
  present: boolean;
  id?: string;
}

const SOURCE_TEXT: Record<ImageSource, string> = {
  build: "built from its folder",
  gateway: "built from gatestack's Dockerfile",
  pull: "pulled",
};

/** The SERVICES column: the services running the image, and the images built FROM it. */
function usedBy(row: ImageRow): string {
  return [...row.services, ...(row.baseOf ?? []).map((image) => `(base of ${image})`)].join(", ");
}

export default class Images extends BaseCommand<typeof Images> {
  static override summary =
    "List the images the stack needs; --offline builds local stand-ins without a registry.";

  static override description =
    `Without a container registry (air-gapped hosts, CI), --offline builds stand-ins from Debian packages
(debootstrap + docker import; needs root) tagged with the names compose.yaml uses — caddy, python, node,
prometheus, redis, postgres — and the gateway image from an npm cache filled by this machine's npm. Grafana, ELK and
Jenkins have no Debian packages and no stand-ins.`;

  static override examples = [
    "<%= config.bin %> images --dir demo",
    "sudo <%= config.bin %> images --offline --dir demo",
  ];

  static override flags = {
    dir: stackDirFlag(),
    offline: Flags.boolean({
      description: "Build the offline stand-ins (test/e2e/images/build-offline.sh, build-gateway.sh).",
    }),
    force: Flags.boolean({
      description: "With --offline: rebuild stand-ins even when cached.",
      dependsOn: ["offline"],
    }),
  };

  async run(): Promise<{ project: string; images: ImageRow[] }> {
    const loaded = await loadStack(this.flags.dir);
    if (!existsSync(path.join(loaded.dir, "compose.yaml"))) {
      throw new GatestackError("E_RENDER_STALE", "compose.yaml is missing", {
        hint: "run `stack render` first",
      });
    }
    const docker = connectDocker();
    await ensureEngine(docker);
    if (this.flags.offline) await this.buildOffline(loaded.config);
    const project = await loadComposeProject({
      dir: loaded.dir,
      projectName: loaded.config.name,
      dotenv: loaded.env,
      profiles: ["all"],
    });
    const rows: ImageRow[] = [];
    for (const need of await imagesToEnsure(project)) {
      const id = await imageId(docker, need.image);
      rows.push({
        image: need.image,
        services: need.services,
        ...(need.baseOf ? { baseOf: need.baseOf } : {}),
        source: need.source,
        present: id !== undefined,
        ...(id ? { id } : {}),
      });
    }
    this.say(
      renderTable(
        ["IMAGE", "PRESENT", "SOURCE", "SERVICES"],
        rows.map((r) => [r.image, r.present ? "yes" : "no", SOURCE_TEXT[r.source], usedBy(r)]),
      ),
    );
    return { project: project.name, images: rows };
  }

  private async buildOffline(stack: StackConfig): Promise<void> {
    const dir = path.join(PACKAGE_ROOT, "test", "e2e", "images");
    const env = {
      CADDY_IMAGE: imageFor(stack, "caddy"),
      PYTHON_IMAGE: imageFor(stack, "python"),
      PROMETHEUS_IMAGE: imageFor(stack, "prometheus"),
      POSTGRES_IMAGE: imageFor(stack, "postgres"),
      NODE_IMAGE: DEFAULT_NODE_IMAGE,
      GATEWAY_IMAGE: imageFor(stack, "gateway"),
    };
    const run = async (script: string, args: string[]) => {
      const file = path.join(dir, script);
      if (!existsSync(file)) {
        throw new GatestackError("E_IO", `${file} is missing from this installation`, {
          hint: "reinstall gatestack, or run the script from a clone of its repository",
        });
      }
      // Their output is progress: stderr, so stdout stays one document under --json.
      const child = execa(file, args, {
        env,
        stdin: "ignore",
        stdout: "pipe",
        stderr: "inherit",
        reject: false,
      });
      child.stdout?.pipe(process.stderr);
      const r = await child;
      if (r.exitCode !== 0) {
        throw new GatestackError("E_DOCKER", `${script} failed (exit ${r.exitCode})`, {
          hint: "see its output above; debootstrap needs root (sudo) and a reachable Debian mirror",
        });
      }
    };
    await run("build-offline.sh", this.flags.force ? ["--force"] : []);
    // The Jenkins image copies the stack CLI from the gateway image, whichever engine runs.
    if (stack.gateway.engine === "gatestack" || stack.addons.jenkins.enabled)
      await run("build-gateway.sh", []);
  }
}
