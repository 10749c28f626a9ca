/**
 * `stack gateway diff` over replicas: the declarative document against what each replica holds
 * (read through its Admin API, as `stack gateway dump` reads it), entity by entity. DB-less, the
 * replica's configuration_hash is compared with the document's too: equal entities with another
 * hash mean a difference the Admin API does not show (a secret it redacts). In database mode the
 * stack owns only the entities tagged with the select tag; the hash is the stored state's.
 */
import { hashDeclarativeText } from "../gateway/config/hash.js";
import type { PluginLookup } from "../gateway/config/load.js";
import { desiredState } from "./desired.js";
import { diffStates, type EntityDiff, isEmptyDiff } from "./diff.js";
import { configurationStatus } from "./gateway-info.js";
import { readLiveState } from "./live-state.js";
import { type GatewayReplica, type ReplicaError, replicaError } from "./replica.js";

export interface DiffOptions {
  /** the document's text and where it comes from (errors name it) */
  text: string;
  place: string;
  plugins: PluginLookup;
  /** database mode: compare only the entities carrying this tag */
  selectTag?: string | undefined;
  /** DB-less gatestack gateways: compare the served configuration_hash with the document's */
  compareHash: boolean;
  /** DB-less: the variables the gateways resolve `{vault://env/…}` with (credential ids follow their keys) */
  env?: Record<string, string | undefined>;
}

export interface ReplicaDiff {
  replica: string;
  /** null when the replica could not be read (see error) */
  diff: EntityDiff | null;
  /** compareHash: the document's and the replica's hashes */
  hash?: { file: string; served: string | null };
  /** the entities are equal but the hashes are not */
  hidden?: boolean;
  equal: boolean;
  error?: ReplicaError;
}

export async function diffReplicas(
  replicas: readonly GatewayReplica[],
  opts: DiffOptions,
): Promise<ReplicaDiff[]> {
  // the document is checked once, before any replica is read: a bad file is the command's error
  const desired = desiredState(opts.text, {
    tag: opts.selectTag,
    plugins: opts.plugins,
    place: opts.place,
    ...(opts.selectTag === undefined && opts.env !== undefined ? { idsWithEnv: opts.env } : {}),
  });
  const fileHash = opts.compareHash ? hashDeclarativeText(opts.text) : null;
  return Promise.all(
    replicas.map(async (r): Promise<ReplicaDiff> => {
      try {
        const live = await readLiveState(r.client);
        const diff = diffStates(desired, live, opts.selectTag === undefined ? {} : { tag: opts.selectTag });
        if (fileHash === null) return { replica: r.name, diff, equal: isEmptyDiff(diff) };
        const served = (await configurationStatus(r.client)).configurationHash;
        const hidden = isEmptyDiff(diff) && served !== fileHash;
        return {
          replica: r.name,
          diff,
          hash: { file: fileHash, served },
          ...(hidden ? { hidden } : {}),
          equal: isEmptyDiff(diff) && !hidden,
        };
      } catch (e) {
        return { replica: r.name, diff: null, equal: false, error: replicaError(e) };
      }
    }),
  );
}
