/**
 * `policy: cluster` — rate-limiting counters in the gateway's database (database mode), in
 * Kong's tables (ratelimiting_metrics, response_ratelimiting_metrics: identifier, period,
 * period_date, service_id, route_id, value), shared by every gateway replica on that database.
 * Windows are cut by ONE clock, the database server's (now(), truncated in UTC), whatever the
 * replicas' own clocks say. A count is one INSERT … ON CONFLICT DO UPDATE adding to the window's
 * row, so concurrent replicas never lose one; inside a transaction the row locks it takes also
 * make a check-and-count exact (rate-limiting). Rows of ended windows are removed now and then.
 */
import type { PluginDatabase } from "../database.js";
import type { PluginEnvironment } from "../types.js";
import type { LimitScope } from "./limit-identity.js";
import { PERIODS, type Period } from "./periods.js";

/** One counted window: the row's `period` value and the period whose current window it is. */
export interface ClusterWindow {
  /** `minute` (rate-limiting), `videos_minute` (response-ratelimiting: `<name>_<period>`) */
  key: string;
  period: Period;
}

/** A window's counter after an addition, on the database's clock (UTC ms). */
export interface CountedWindow {
  value: number;
  /** the window's start */
  start: number;
  /** the database's clock at the statement */
  now: number;
}

type Query = PluginDatabase["query"];

/** How often ended windows are removed (per table, per database handle). */
const CLEANUP_EVERY_MS = 60_000;
const lastCleanup = new WeakMap<PluginDatabase, Map<string, number>>();

/**
 * Add `value` to the windows of `scope`/`identifier`, creating their rows: the windows holding
 * `at` (UTC ms), or the database's now when `at` is null. Returns each window's new counter, in
 * the order given (rows are written in that order, so concurrent writers lock them alike).
 */
export async function addToWindows(
  query: Query,
  table: string,
  scope: LimitScope,
  identifier: string,
  windows: readonly ClusterWindow[],
  value: number,
  at: number | null,
): Promise<CountedWindow[]> {
  const rows = await query(
    `INSERT INTO ${table} AS m (identifier, period, period_date, service_id, route_id, value)
     SELECT $1::text, w.key,
            date_trunc(w.period, coalesce(to_timestamp($5::double precision / 1000), now()), 'UTC'),
            $2::uuid, $3::uuid, $4::integer
       FROM unnest($6::text[], $7::text[]) WITH ORDINALITY AS w(key, period, ord)
      ORDER BY w.ord
     ON CONFLICT (identifier, period, period_date, service_id, route_id)
     DO UPDATE SET value = coalesce(m.value, 0) + EXCLUDED.value
     RETURNING m.period AS key, m.value::float8 AS value,
               (extract(epoch FROM m.period_date) * 1000)::float8 AS start,
               (extract(epoch FROM now()) * 1000)::float8 AS now`,
    [
      identifier,
      scope.service,
      scope.route,
      value,
      at,
      windows.map((w) => w.key),
      windows.map((w) => w.period),
    ],
  );
  const byKey = new Map(rows.map((r) => [String(r.key), r]));
  return windows.map((w) => {
    const r = byKey.get(w.key);
    if (r === undefined) throw new Error(`the database did not count window ${w.key}`);
    return { value: Number(r.value), start: Number(r.start), now: Number(r.now) };
  });
}

/** The counters of the current windows (on the database's clock), 0 for a window not counted yet. */
export async function readWindows(
  query: Query,
  table: string,
  scope: LimitScope,
  identifier: string,
  windows: readonly ClusterWindow[],
): Promise<{ used: number[]; now: number }> {
  const rows = await query(
    `SELECT w.ord, coalesce(m.value, 0)::float8 AS value, (extract(epoch FROM now()) * 1000)::float8 AS now
       FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS w(key, period, ord)
       LEFT JOIN ${table} m
         ON m.identifier = $1::text AND m.service_id = $2::uuid AND m.route_id = $3::uuid
        AND m.period = w.key AND m.period_date = date_trunc(w.period, now(), 'UTC')
      ORDER BY w.ord`,
    [identifier, scope.service, scope.route, windows.map((w) => w.key), windows.map((w) => w.period)],
  );
  if (rows.length !== windows.length) throw new Error("unexpected answer from the database");
  return { used: rows.map((r) => Number(r.value)), now: Number(rows[0]?.now ?? Date.now()) };
}

/**
 * Remove the rows of windows that have ended (a row's `period` ends with its period's name), at
 * most once a minute per table and database handle, in the background. A failure is ignored: the
 * rows left only take space, and the next attempt removes them.
 */
export function removeEndedWindowsSoon(db: PluginDatabase, table: string): void {
  let tables = lastCleanup.get(db);
  if (tables === undefined) {
    tables = new Map();
    lastCleanup.set(db, tables);
  }
  const now = Date.now();
  if (now - (tables.get(table) ?? 0) < CLEANUP_EVERY_MS) return;
  tables.set(table, now);
  const ended = PERIODS.map(
    (p) => `(('_' || period) LIKE '%\\_${p}' AND period_date < now() - interval '1 ${p}')`,
  );
  void db
    .query(`DELETE FROM ${table} WHERE period_date < now() - interval '1 year' OR ${ended.join(" OR ")}`)
    .catch(() => undefined);
}

/** The gateway's database (database mode only). */
export function databaseOf(env: PluginEnvironment): PluginDatabase | undefined {
  return env.database;
}
