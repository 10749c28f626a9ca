import { GatestackError } from "../errors.js";
import type { KeyPath, YamlSource } from "./yaml-source.js";

export type Severity = "error" | "warning";

/** A problem found in stack.yaml, already placed at `file:line:col`. */
export interface StackIssue {
  severity: Severity;
  file: string;
  line: number;
  col: number;
  /** Key path, e.g. `services[1].routes[0].paths[0]` ("" for the whole document). */
  path: string;
  message: string;
}

/** A problem before it is placed: the key path and whether to point at the key or at its value. */
export interface IssueDraft {
  path: KeyPath;
  message: string;
  severity?: Severity;
  /** Point at the key itself (unknown keys) rather than its value. */
  atKey?: boolean;
  /** For an unknown key: the allowed key it is probably a typo of. */
  suggestion?: string;
}

/** `services[1].routes[0].paths[0]`; keys that are not plain words are bracket-quoted. */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function placeIssue(source: YamlSource, draft: IssueDraft): StackIssue {
  const { line, col } = source.locate(draft.path, { key: draft.atKey === true });
  return {
    severity: draft.severity ?? "error",
    file: source.file,
    line,
    col,
    path: formatKeyPath(draft.path),
    message: draft.message,
  };
}

/** `stack.yaml:12:9: services[1].routes[0].paths[0]: must start with '/'` */
export function formatIssue(issue: StackIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.col}`;
  return issue.path === "" ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

/** Issues in document order. */
export function sortIssues(issues: StackIssue[]): StackIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * stack.yaml is invalid. Carries every error (and the warnings found alongside). `place` and
 * `message` describe the first error; `toLine()` renders all of them, one per line, so the
 * CLI's `✗ ` prefix starts each line.
 */
export class StackInvalidError extends GatestackError {
  readonly errors: StackIssue[];
  readonly warnings: StackIssue[];

  constructor(errors: StackIssue[], warnings: StackIssue[] = []) {
    const first = errors[0];
    if (!first) throw new Error("StackInvalidError needs at least one error");
    super("E_STACK_INVALID", first.path === "" ? first.message : `${first.path}: ${first.message}`, {
      place: `${first.file}:${first.line}:${first.col}`,
      data: { errors, warnings },
    });
    this.errors = errors;
    this.warnings = warnings;
  }

  override toLine(): string {
    return this.errors.map(formatIssue).join("\n✗ ");
  }
}
