/**
 * The engine's multiplexed output (logs and exec streams of a container without a TTY): 8-byte
 * frame headers (stream, 0, 0, 0, size BE32) before each payload. Decoded by docker-modem's
 * demuxer — the one dockerode uses (`docker.modem.demuxStream`) — which also passes raw (TTY)
 * output through unchanged. The only place in the CLI that reads those frames.
 */
import { EventEmitter } from "node:events";
import DockerModem from "docker-modem";

export type LogStream = "stdout" | "stderr";

/** docker-modem's demuxer; it keeps no state on the modem, so one needs no engine connection. */
const demuxStream = DockerModem.prototype.demuxStream;

/** Bytes handed to the demuxer at a time (a frame is at least 9 bytes: ≤ ~1,800 frames, ~3,600 calls deep). */
const DEMUX_SLICE_BYTES = 16 * 1024;

/** A writable end the demuxer writes payloads to (it calls nothing but write). */
function sink(onData: (payload: Buffer) => void): NodeJS.WritableStream {
  return {
    write(chunk: Buffer | string) {
      onData(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      return true;
    },
  } as unknown as NodeJS.WritableStream;
}

/**
 * Incremental decoder: chunks in (cut anywhere, headers included), payloads out, synchronously.
 * Raw output (a TTY container's) comes out as stdout.
 */
export class LogDemuxer {
  private readonly source = new EventEmitter();

  constructor(onFrame: (stream: LogStream, payload: Buffer) => void) {
    const out = (kind: LogStream) => sink((payload) => onFrame(kind, payload));
    demuxStream(this.source as unknown as NodeJS.ReadableStream, out("stdout"), out("stderr"));
  }

  /**
   * Feed the next bytes. docker-modem's demuxer recurses once per frame within one chunk, so a whole
   * log read at once (thousands of lines) would exhaust the stack: it gets the bytes in slices that
   * hold at most a few hundred frames.
   */
  push(chunk: Buffer): void {
    for (let at = 0; at < chunk.length; at += DEMUX_SLICE_BYTES) {
      this.source.emit("data", chunk.subarray(at, at + DEMUX_SLICE_BYTES));
    }
  }
}

/** A whole log read (`follow: false`) as text, frames decoded; raw (TTY) output as it is. */
export function demuxToText(buf: Buffer): string {
  const parts: Buffer[] = [];
  const demux = new LogDemuxer((_s, payload) => parts.push(payload));
  demux.push(buf);
  // raw output shorter than a frame header stays in the demuxer: it is the whole text
  if (parts.length === 0 && buf.length < 8) return buf.toString("utf8");
  return Buffer.concat(parts).toString("utf8");
}

export interface AttachedOutput {
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** An attached exec's output (multiplexed) read until the stream ends, or until `timeoutMs`; the stream is destroyed after. */
export function readAttachedOutput(
  stream: NodeJS.ReadableStream,
  timeoutMs: number,
): Promise<AttachedOutput> {
  let stdout = "";
  let stderr = "";
  demuxStream(
    stream,
    sink((c) => {
      stdout += c.toString("utf8");
    }),
    sink((c) => {
      stderr += c.toString("utf8");
    }),
  );
  return new Promise((resolve) => {
    const done = (timedOut: boolean): void => {
      clearTimeout(timer);
      (stream as { destroy?: () => void }).destroy?.();
      resolve({ stdout, stderr, timedOut });
    };
    const timer = setTimeout(() => done(true), timeoutMs);
    stream.on("end", () => done(false));
    stream.on("close", () => done(false));
    stream.on("error", () => done(false));
  });
}
