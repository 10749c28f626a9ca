/** Reads a stream of newline-delimited JSON objects (engine build/pull progress). */
export async function* jsonLines<T = Record<string, unknown>>(
  stream: AsyncIterable<Buffer | string>,
): AsyncGenerator<T> {
  let buf = "";
  for await (const chunk of stream) {
    buf += chunk.toString();
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield parse<T>(line);
      nl = buf.indexOf("\n");
    }
  }
  if (buf.trim()) yield parse<T>(buf.trim());
}

function parse<T>(line: string): T {
  try {
    return JSON.parse(line) as T;
  } catch {
    return { stream: line } as T;
  }
}
