/**
 * `stack gateway sync` over replicas, then each replica's configuration_hash checked:
 *  - DB-less: every replica holds its own configuration — `POST /config` of the document to
 *    each, and each must then report the document's hash;
 *  - database mode: the database holds it — one sync (decK's, through the first replica that
 *    answers), and every replica must then report the same hash as that one (each follows the
 *    database within a second; they are given `settleMs` to).
 * Each replica's outcome is reported; none stops the others.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { hashDeclarativeText } from "../gateway/config/hash.js";
import type { PluginLookup } from "../gateway/config/load.js";
import { configurationStatus, postConfig } from "./gateway-info.js";
import { type GatewayReplica, type ReplicaError, replicaError } from "./replica.js";
import { type SyncResult, syncThrough } from "./sync.js";

export interface ReplicaSyncOptions {
  text: string;
  place: string;
  plugins: PluginLookup;
  database: boolean;
  selectTag: string;
  /** database mode: how long the replicas may take to load the new state (default 10 s) */
  settleMs?: number;
}

export interface ReplicaPush {
  replica: string;
  /** config: POST /config to it; sync: the database sync ran through it; follows: it reads the database */
  action: "config" | "sync" | "follows";
  /** the hash it must serve (the document's; database mode: the synced replica's) */
  expectedHash: string | null;
  /** the hash it serves afterwards */
  servedHash: string | null;
  ok: boolean;
  error?: ReplicaError;
}

export interface ReplicasSyncResult {
  mode: "dbless" | "database";
  replicas: ReplicaPush[];
  /** database mode: the plan the sync ran */
  sync?: SyncResult;
  ok: boolean;
}

export async function syncReplicas(
  replicas: readonly GatewayReplica[],
  opts: ReplicaSyncOptions,
): Promise<ReplicasSyncResult> {
  const out = opts.database ? await databaseSync(replicas, opts) : await dblessPush(replicas, opts);
  return { ...out, ok: out.replicas.length > 0 && out.replicas.every((r) => r.ok) };
}

async function dblessPush(
  replicas: readonly GatewayReplica[],
  opts: ReplicaSyncOptions,
): Promise<Omit<ReplicasSyncResult, "ok">> {
  const expected = hashDeclarativeText(opts.text);
  const pushes = await Promise.all(
    replicas.map(async (r): Promise<ReplicaPush> => {
      const base = { replica: r.name, action: "config" as const, expectedHash: expected };
      try {
        await postConfig(r.client, opts.text);
        const served = (await configurationStatus(r.client)).configurationHash;
        return { ...base, servedHash: served, ok: served === expected, ...mismatch(served, expected) };
      } catch (e) {
        return { ...base, servedHash: null, ok: false, error: replicaError(e) };
      }
    }),
  );
  return { mode: "dbless", replicas: pushes };
}

async function databaseSync(
  replicas: readonly GatewayReplica[],
  opts: ReplicaSyncOptions,
): Promise<Omit<ReplicasSyncResult, "ok">> {
  const through = replicas[0];
  if (through === undefined) return { mode: "database", replicas: [] };
  // A conflict or an invalid document is the command's error: nothing was written anywhere.
  const sync = await syncThrough(through.client, {
    file: opts.place,
    text: opts.text,
    selectTag: opts.selectTag,
    dryRun: false,
    plugins: opts.plugins,
  });
  const expected = (await configurationStatus(through.client)).configurationHash;
  const deadline = Date.now() + (opts.settleMs ?? 10_000);
  const pushes = await Promise.all(
    replicas.map(async (r, i): Promise<ReplicaPush> => {
      const base = { replica: r.name, action: i === 0 ? ("sync" as const) : ("follows" as const) };
      try {
        let served = (await configurationStatus(r.client)).configurationHash;
        while (served !== expected && Date.now() < deadline) {
          await sleep(200);
          served = (await configurationStatus(r.client)).configurationHash;
        }
        return {
          ...base,
          expectedHash: expected,
          servedHash: served,
          ok: expected !== null && served === expected,
          ...mismatch(served, expected),
        };
      } catch (e) {
        return { ...base, expectedHash: expected, servedHash: null, ok: false, error: replicaError(e) };
      }
    }),
  );
  return { mode: "database", replicas: pushes, sync };
}

function mismatch(served: string | null, expected: string | null): { error?: ReplicaError } {
  if (served !== null && served === expected) return {};
  return {
    error: {
      code: "E_GATEWAY_HASH",
      message:
        served === null
          ? "GET /status gave no configuration_hash"
          : `serves ${served.slice(0, 12)}, expected ${expected?.slice(0, 12) ?? "a hash"}`,
      hint: "see `stack logs gateway`",
    },
  };
}
