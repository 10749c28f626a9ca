/**
 * A fish completion script for `stack`, built from oclif's command list: @oclif/plugin-autocomplete
 * writes bash, zsh and PowerShell completions only. Commands and topics complete as words after
 * `stack` (`stack gateway <TAB>`), each command's flags (long, short, the values of `options` flags)
 * once its words are typed, with their summaries as descriptions.
 */

export interface CompletionFlag {
  name: string;
  char?: string;
  description?: string;
  /** takes a value (`--dir DIR`) */
  option: boolean;
  options?: readonly string[];
}

export interface CompletionCommand {
  /** oclif's id, `gateway:sync` */
  id: string;
  summary?: string;
  flags: CompletionFlag[];
}

/** fish single-quoted string: only \ and ' are special. */
const quote = (s: string) => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/** The first line of a text, short enough for a completion menu. */
const firstLine = (s: string | undefined) => {
  const line = (s ?? "").split("\n")[0]!.trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
};

export function fishCompletion(
  bin: string,
  commands: CompletionCommand[],
  topics: Record<string, string>,
): string {
  const oneLine = (s: string | undefined) => firstLine(s).replace(/<%=\s*config\.bin\s*%>/g, bin);
  const fn = `__${bin.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const lines = [
    `# fish completion for ${bin}: ${bin} autocomplete fish > ~/.config/fish/completions/${bin}.fish`,
    `# The words typed after ${bin}, flags left out.`,
    `function ${fn}_words`,
    "    set -l words",
    "    for w in (commandline -opc)[2..-1]",
    "        string match -q -- '-*' $w; or set -a words $w",
    "    end",
    "    echo $words",
    "end",
    `# The words are exactly these (a command or topic is to be typed next).`,
    `function ${fn}_is`,
    `    set -l w (${fn}_words)`,
    '    test "$w" = "$argv"',
    "end",
    `# The words start with these (the command is typed: its flags).`,
    `function ${fn}_in`,
    `    set -l w (${fn}_words)`,
    '    test "$w" = "$argv"; or string match -q -- "$argv *" "$w"',
    "end",
    `complete -c ${bin} -f`,
  ];
  // Words offered after each prefix: commands and topics one level down.
  const next = new Map<string, Map<string, string>>();
  const offer = (prefix: string, word: string, description: string) => {
    const words = next.get(prefix) ?? new Map<string, string>();
    if (!words.get(word)) words.set(word, description);
    next.set(prefix, words);
  };
  const sorted = [...commands].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const c of sorted) {
    const parts = c.id.split(":");
    parts.forEach((word, i) => {
      const prefix = parts.slice(0, i).join(" ");
      const id = parts.slice(0, i + 1).join(":");
      const description = i === parts.length - 1 ? oneLine(c.summary) : oneLine(topics[id]);
      offer(prefix, word, description);
    });
  }
  for (const [prefix, words] of next) {
    for (const [word, description] of words) {
      lines.push(
        `complete -c ${bin} -n ${quote(`${fn}_is ${prefix}`.trimEnd())} -a ${quote(word)}${description ? ` -d ${quote(description)}` : ""}`,
      );
    }
  }
  for (const c of sorted) {
    const words = c.id.split(":").join(" ");
    for (const f of [...c.flags].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const parts = [`complete -c ${bin} -n ${quote(`${fn}_in ${words}`)}`, `-l ${f.name}`];
      if (f.char) parts.push(`-s ${f.char}`);
      if (f.option) parts.push(f.options?.length ? `-x -a ${quote(f.options.join(" "))}` : "-r -F");
      const d = oneLine(f.description);
      if (d) parts.push(`-d ${quote(d)}`);
      lines.push(parts.join(" "));
    }
  }
  return `${lines.join("\n")}\n`;
}
