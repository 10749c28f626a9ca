/**
 * `stack rnder`: did you mean `stack render`? On a terminal, @oclif/plugin-not-found asks and runs the
 * closest command; otherwise (a script, CI, --json) the answer is an E_COMMAND_NOT_FOUND error naming
 * the closest command, printed by src/cli/main.ts like every other error (exit 127, as a shell says
 * for an unknown command). This hook replaces the plugin's own one (the plugin is not in
 * `oclif.plugins`, so its hook does not run as well).
 */
import { type Hook, toConfiguredId } from "@oclif/core";
import notFound from "@oclif/plugin-not-found";
import levenshtein from "fast-levenshtein";
import { GatestackError } from "../../errors.js";

/** The visible command id (or alias) nearest to `id`, or undefined when there are none. */
export function closestCommand(id: string, ids: string[]): string | undefined {
  return ids
    .map((candidate) => ({ candidate, distance: levenshtein.get(id, candidate, { useCollator: true }) }))
    .sort((a, b) => a.distance - b.distance || (a.candidate < b.candidate ? -1 : 1))[0]?.candidate;
}

const hook: Hook.CommandNotFound = async function (opts) {
  const json = opts.argv?.includes("--json") ?? false;
  if (!json && process.stdin.isTTY && process.stderr.isTTY) return notFound.call(this, opts);
  const hidden = new Set(opts.config.commands.filter((c) => c.hidden).map((c) => c.id));
  const ids = [...opts.config.commandIDs, ...opts.config.commands.flatMap((c) => c.aliases)].filter(
    (c) => !hidden.has(c),
  );
  const suggestion = closestCommand(opts.id, ids);
  const bin = opts.config.bin;
  throw new GatestackError(
    "E_COMMAND_NOT_FOUND",
    `${toConfiguredId(opts.id, opts.config)} is not a ${bin} command`,
    {
      exitCode: 127,
      hint: suggestion
        ? `did you mean \`${bin} ${toConfiguredId(suggestion, opts.config)}\`? (\`${bin} help\` lists the commands)`
        : `\`${bin} help\` lists the commands`,
    },
  );
};

export default hook;
