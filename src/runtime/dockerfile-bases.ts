/**
 * The images a Dockerfile builds FROM, as the builder resolves them: `ARG`s declared before the first
 * FROM (their defaults, overridden by the build args) substitute `$NAME`, `${NAME}`, `${NAME:-word}` and
 * `${NAME:+word}` in FROM lines; stage names (`FROM … AS name`, then `FROM name`) and `scratch` are
 * not images. `stack up` uses this to build a project's own images before the builds that start from
 * them (the Jenkins image FROM the gateway image).
 */

/** The Dockerfile's instructions: line continuations joined, comments and blank lines dropped. */
function instructions(text: string): string[] {
  const out: string[] = [];
  let pending = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue; // a comment inside a continued instruction
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    out.push((pending + line).trim());
    pending = "";
  }
  if (pending.trim() !== "") out.push(pending.trim());
  return out;
}

function unquote(value: string): string {
  const q = value[0];
  return (q === '"' || q === "'") && value.endsWith(q) && value.length >= 2 ? value.slice(1, -1) : value;
}

/** `ARG a=1 b` → [["a", "1"], ["b", undefined]]. */
function argDeclarations(rest: string): Array<[string, string | undefined]> {
  return rest
    .split(/\s+/)
    .filter((word) => word !== "")
    .map((word) => {
      const eq = word.indexOf("=");
      return eq < 0 ? [word, undefined] : [word.slice(0, eq), unquote(word.slice(eq + 1))];
    });
}

function substitute(word: string, vars: ReadonlyMap<string, string>): string {
  return word.replace(
    /\$(?:\{(\w+)(?::([-+])([^}]*))?\}|(\w+))/g,
    (_match, braced: string | undefined, op: string | undefined, alt: string | undefined, bare: string) => {
      const value = vars.get(braced ?? bare);
      if (op === "-") return value ? value : (alt ?? "");
      if (op === "+") return value ? (alt ?? "") : "";
      return value ?? "";
    },
  );
}

export function dockerfileBaseImages(text: string, buildArgs: Readonly<Record<string, string>>): string[] {
  const vars = new Map<string, string>();
  const stages = new Set<string>();
  const images: string[] = [];
  let seenFrom = false;
  for (const instruction of instructions(text)) {
    const [keyword = "", ...words] = instruction.split(/\s+/);
    const upper = keyword.toUpperCase();
    if (upper === "ARG" && !seenFrom) {
      for (const [name, fallback] of argDeclarations(words.join(" "))) {
        const value = buildArgs[name] ?? fallback;
        if (value !== undefined) vars.set(name, value);
      }
      continue;
    }
    if (upper !== "FROM") continue;
    seenFrom = true;
    const operands = words.filter((w) => !w.startsWith("--"));
    const image = substitute(operands[0] ?? "", vars);
    if (image !== "" && image.toLowerCase() !== "scratch" && !stages.has(image.toLowerCase())) {
      if (!images.includes(image)) images.push(image);
    }
    if (operands[1]?.toUpperCase() === "AS" && operands[2]) stages.add(operands[2].toLowerCase());
  }
  return images;
}
