import { createInterface } from "node:readline";

/** Ask one question; `check` returns an error message to ask again, or undefined to accept. */
export type Ask = (
  question: string,
  fallback: string,
  check?: (answer: string) => string | undefined,
) => Promise<string>;

/** Whether to prompt: both ends are terminals. */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/**
 * Run `fn` with a line prompter on the terminal (questions on stderr so stdout stays clean).
 * An empty answer takes the fallback shown in brackets; so does end of input (Ctrl-D).
 * Lines are read through the interface's async iterator, which buffers answers typed ahead.
 */
export async function withPrompts<T>(fn: (ask: Ask) => Promise<T>): Promise<T> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const lines = rl[Symbol.asyncIterator]();
  try {
    const ask: Ask = async (question, fallback, check) => {
      for (;;) {
        rl.setPrompt(`? ${question} [${fallback}] `);
        rl.prompt();
        const next = await lines.next();
        if (next.done) return fallback;
        const answer = String(next.value).trim() || fallback;
        const problem = check?.(answer);
        if (problem === undefined) return answer;
        process.stderr.write(`  ${problem}\n`);
      }
    };
    return await fn(ask);
  } finally {
    rl.close();
  }
}
