import { BaseCommand } from "../../cli/base-command.js";
import { type CompletionCommand, fishCompletion } from "../../cli/fish-completion.js";

export default class AutocompleteFish extends BaseCommand<typeof AutocompleteFish> {
  static override summary = "Print the fish completion script of stack (bash and zsh: stack autocomplete).";

  static override description = `Install it where fish looks for completions:
  stack autocomplete fish > ~/.config/fish/completions/stack.fish
Commands, topics and each command's flags complete with their descriptions; run it again after an
upgrade. (@oclif/plugin-autocomplete, behind \`stack autocomplete bash|zsh\`, has no fish.)`;

  static override examples = ["<%= config.bin %> autocomplete fish > ~/.config/fish/completions/stack.fish"];

  async run(): Promise<{ shell: "fish"; file: string; script: string }> {
    const commands: CompletionCommand[] = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        id: c.id,
        ...((c.summary ?? c.description) ? { summary: c.summary ?? c.description } : {}),
        flags: Object.entries(c.flags ?? {})
          .filter(([, f]) => !f.hidden)
          .map(([name, f]) => ({
            name,
            option: f.type === "option",
            ...(f.char ? { char: f.char } : {}),
            ...((f.summary ?? f.description) ? { description: f.summary ?? f.description } : {}),
            ...(f.type === "option" && f.options ? { options: f.options } : {}),
          })),
      }));
    const topics = Object.fromEntries(this.config.topics.map((t) => [t.name, t.description ?? ""]));
    const script = fishCompletion(this.config.bin, commands, topics);
    if (!this.jsonEnabled()) process.stdout.write(script);
    return { shell: "fish", file: `~/.config/fish/completions/${this.config.bin}.fish`, script };
  }
}
