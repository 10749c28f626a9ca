import { isAbsolute } from "node:path";
import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { stackDirFlag } from "../../cli/flags.js";
import { unifiedDiff } from "../../render/diff.js";
import { publicPrefix } from "../../render/topology.js";
import { type ImportResult, importOpenApi } from "../../stack/openapi/import.js";

/** `--json`: the import's outcome and the unified diff of stack.yaml ("" when unchanged). */
export type ImportOpenApiJson = Omit<ImportResult, "before" | "after"> & { diff: string };

export default class ImportOpenApi extends BaseCommand<typeof ImportOpenApi> {
  static override summary = "Turn an OpenAPI 3.0/3.1 document into one service's routes in stack.yaml.";

  static override description =
    `Like decK's \`deck file openapi2kong\`, but into stack.yaml: one route per operation — the
path as a regex path with a named capture per parameter (/items/{item_id} →
~/items/(?<item_id>[^#?/]+)$), the method, the operationId as the name (<service>-<slug>), the
operation's tags plus \`openapi\`. stack.yaml is edited in place, comments kept; importing again updates
the routes it made (matched by name) and adds new ones, so the same document changes nothing. An app
mounted under a prefix (its stripping route, e.g. /api/users) gets the prefix in its routes and a
request-transformer that sends the app its own path. SOURCE is a file (JSON or YAML) or an http(s)
URL such as a FastAPI app's /openapi.json.`;

  static override examples = [
    "<%= config.bin %> import openapi http://127.0.0.1:8000/openapi.json --service app --dry-run",
    "<%= config.bin %> import openapi openapi.yaml --service users --dir shop",
  ];

  static override args = {
    source: Args.string({ description: "OpenAPI document: a file path or an http(s) URL.", required: true }),
  };

  static override flags = {
    dir: stackDirFlag(),
    service: Flags.string({
      char: "s",
      description: "The service in stack.yaml the routes go to.",
      required: true,
    }),
    "dry-run": Flags.boolean({ description: "Print the diff of stack.yaml and write nothing." }),
    "path-prefix": Flags.string({
      description:
        "Public path prefix the app is mounted at (default: the one its stripping route gives, as ROOT_PATH; '' for none).",
    }),
    prune: Flags.boolean({
      description: "Also remove routes an earlier import made for operations the document no longer has.",
    }),
    insecure: Flags.boolean({ description: "Accept a self-signed certificate when SOURCE is an https URL." }),
    timeout: Flags.integer({ description: "Seconds allowed for fetching a URL.", default: 10, min: 1 }),
  };

  async run(): Promise<ImportOpenApiJson> {
    const given = this.flags["path-prefix"];
    const result = await importOpenApi(this.flags.dir, this.args.source, {
      service: this.flags.service,
      prefix: given ?? publicPrefix,
      prune: this.flags.prune,
      dryRun: this.flags["dry-run"],
      insecure: this.flags.insecure,
      timeoutMs: this.flags.timeout * 1000,
    });
    const { before, after, ...rest } = result;
    const label = (side: string) => (isAbsolute(result.file) ? result.file : `${side}/${result.file}`);
    const diff = unifiedDiff(before, after, label("a"), label("b"));
    if (result.dryRun && diff !== "") process.stdout.write(this.jsonEnabled() ? "" : diff);
    for (const skipped of result.skipped)
      this.note(`⚠ ${skipped}: stack.yaml routes cannot match this method; skipped`);
    if (result.serverPath !== "" && result.serverPath !== result.prefix) {
      this.note(
        `⚠ the document's servers[0] is at ${result.serverPath}, the routes use the prefix "${result.prefix}" (--path-prefix sets it)`,
      );
    }
    for (const name of result.stale) {
      this.note(`⚠ route ${name} was imported earlier and no operation has it now (--prune removes it)`);
    }
    const counts = [
      `${result.created.length} created`,
      `${result.updated.length} updated`,
      `${result.unchanged.length} unchanged`,
      ...(result.removed.length > 0 ? [`${result.removed.length} removed`] : []),
    ].join(", ");
    const what = `routes of service ${result.service} from ${result.source} (OpenAPI ${result.openapi})`;
    if (result.dryRun) this.say(`dry run, ${result.file} not written: ${counts} ${what}`);
    else if (result.written) this.say(`✓ ${result.file}: ${counts} ${what}`);
    else this.say(`✓ ${result.file} already up to date: ${counts} ${what}`);
    return { ...rest, diff };
  }
}
