/** Random trace and span ids (lowercase hex), drawn from a pooled random buffer (one syscall per 4 KiB). */
import { randomFillSync } from "node:crypto";

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

function randomHex(bytes: number): string {
  for (;;) {
    if (offset + bytes > POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    const start = offset;
    offset += bytes;
    for (let i = start; i < offset; i++) {
      if (pool[i] !== 0) return pool.toString("hex", start, offset);
    }
    // all-zero ids are invalid: draw again
  }
}

/** 16 random bytes: a W3C trace id. */
export const newTraceId = (): string => randomHex(16);
/** 8 random bytes: a span id. */
export const newSpanId = (): string => randomHex(8);
