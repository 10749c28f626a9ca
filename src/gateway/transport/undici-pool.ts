/**
 * undici's Pool, loaded on its own. The gateway needs only the connection pool (its dispatch
 * API); undici's package entry also loads fetch, WebSocket, the cache and mock layers —
 * about 9 MB more resident memory in every gateway process. The module path is undici's
 * own (`lib/dispatcher/pool.js`, CommonJS, no `exports` map restricts it); should a future
 * undici move it, the package entry is used instead.
 */
import { createRequire } from "node:module";
import type { Pool as UndiciPool } from "undici";

const requireCjs = createRequire(import.meta.url);

function loadPool(): typeof UndiciPool {
  try {
    return requireCjs("undici/lib/dispatcher/pool.js") as typeof UndiciPool;
  } catch {
    return (requireCjs("undici") as typeof import("undici")).Pool;
  }
}

export const Pool: typeof UndiciPool = loadPool();
export type Pool = UndiciPool;
