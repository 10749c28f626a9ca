/**
 * Cleanups a test registers as it starts things (servers, gateways, temp dirs): run after
 * each test, newest first, so a failing test still leaves nothing behind.
 */
import { afterEach } from "vitest";

export interface Cleanups {
  push(...cleanups: Array<() => unknown>): void;
}

/** A cleanup list for the calling test file, emptied after each test. */
export function cleanupsAfterEach(): Cleanups {
  const pending: Array<() => unknown> = [];
  afterEach(async () => {
    while (pending.length > 0) await pending.pop()!();
  });
  return { push: (...cleanups) => void pending.push(...cleanups) };
}
