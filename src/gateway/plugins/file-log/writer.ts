/**
 * Appends JSON lines to a file without ever blocking a request: lines are handed to an
 * append stream (or, with `reopen`, written in batches through a fresh file handle each
 * time, so log rotation is picked up). Pending output is bounded: when the disk cannot
 * keep up, new lines are dropped with a warning. Write errors are logged (throttled) and
 * the file is opened again for the next line.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { open } from "node:fs/promises";
import type { GatewayLogger } from "../types.js";

/** Most bytes waiting to be written before new lines are dropped. */
export const MAX_PENDING_BYTES = 8 * 1024 * 1024;
const FILE_MODE = 0o644;
const WARN_EVERY_MS = 5000;

export interface LineSink {
  write(line: string): void;
  close(): Promise<void>;
}

class StdSink implements LineSink {
  constructor(private readonly stream: NodeJS.WriteStream) {}

  write(line: string): void {
    if (this.stream.writableLength > MAX_PENDING_BYTES) return;
    this.stream.write(line);
  }

  async close(): Promise<void> {}
}

abstract class FileSinkBase implements LineSink {
  private lastWarn = 0;
  dropped = 0;

  constructor(
    protected readonly path: string,
    protected readonly logger: GatewayLogger,
  ) {}

  abstract write(line: string): void;
  abstract close(): Promise<void>;

  protected problem(message: string): void {
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    this.logger.error(`file-log: ${message}`, { path: this.path, dropped: this.dropped });
  }
}

/** One append stream kept open (reopen: false). */
class AppendSink extends FileSinkBase {
  private stream: WriteStream | null = null;
  private failedAt = 0;

  write(line: string): void {
    const stream = this.stream ?? this.openStream();
    if (stream === null || stream.writableLength > MAX_PENDING_BYTES) {
      this.dropped++;
      if (stream !== null) this.problem("the log file cannot keep up, dropping lines");
      return;
    }
    stream.write(line);
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = null;
    if (stream === null) return;
    await new Promise<void>((resolve) => stream.end(() => resolve()));
  }

  private openStream(): WriteStream | null {
    if (Date.now() - this.failedAt < 1000) return null; // retry opening at most once a second
    const stream = createWriteStream(this.path, { flags: "a", mode: FILE_MODE });
    stream.on("error", (err) => {
      this.failedAt = Date.now();
      if (this.stream === stream) this.stream = null;
      this.problem(`cannot write the log file: ${err.message}`);
    });
    this.stream = stream;
    return stream;
  }
}

/** Open, append what is pending, close — for every batch of lines (reopen: true). */
class ReopenSink extends FileSinkBase {
  private pending: string[] = [];
  private pendingBytes = 0;
  private flushing: Promise<void> | null = null;

  write(line: string): void {
    if (this.pendingBytes + line.length > MAX_PENDING_BYTES) {
      this.dropped++;
      this.problem("the log file cannot keep up, dropping lines");
      return;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.flushing === null) this.flushing = this.flush();
  }

  async close(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const text = this.pending.join("");
      this.pending = [];
      this.pendingBytes = 0;
      try {
        const handle = await open(this.path, "a", FILE_MODE);
        try {
          await handle.appendFile(text);
        } finally {
          await handle.close();
        }
      } catch (err) {
        this.dropped += text.split("\n").length - 1;
        this.problem(`cannot write the log file: ${(err as Error).message}`);
      }
    }
    this.flushing = null;
  }
}

export function openLineSink(path: string, reopen: boolean, logger: GatewayLogger): LineSink {
  if (path === "/dev/stdout") return new StdSink(process.stdout);
  if (path === "/dev/stderr") return new StdSink(process.stderr);
  return reopen ? new ReopenSink(path, logger) : new AppendSink(path, logger);
}
