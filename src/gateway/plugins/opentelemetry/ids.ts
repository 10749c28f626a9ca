/**
 * Random trace and span ids (lowercase hex), cut from a pooled random buffer: one syscall and one
 * hex conversion per 4 KiB, so an id is a slice of the pool's text rather than a conversion of
 * its own (a traced request takes three).
 */
import { randomFillSync } from "node:crypto";

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolHex = "";
let offset = POOL_BYTES;

function randomHex(bytes: number): string {
  for (;;) {
    if (offset + bytes > POOL_BYTES) {
      randomFillSync(pool);
      poolHex = pool.toString("hex");
      offset = 0;
    }
    const start = offset;
    offset += bytes;
    for (let i = start; i < offset; i++) {
      if (pool[i] !== 0) return poolHex.slice(start * 2, offset * 2);
    }
    // all-zero ids are invalid: draw again
  }
}

/** 16 random bytes: a W3C trace id. */
export const newTraceId = (): string => randomHex(16);
/** 8 random bytes: a span id. */
export const newSpanId = (): string => randomHex(8);
