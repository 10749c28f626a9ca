/**
 * Where the gateway's configuration lives. One interface, two implementations:
 *  - declarative (`database = off`, Kong's DB-less mode; declarative.ts): a declarative document
 *    given at start (file or text) and replaced whole by `POST /config` or a reload;
 *  - PostgreSQL (`database = postgres`, Kong's database mode): entities stored one by one, written
 *    through the Admin API, shared by every gateway replica on the same database.
 * The server loads the current state, turns it into a configuration generation (generations.ts),
 * and loads again whenever the store says it changed — its own writes and other replicas' alike.
 */
import type { KindName } from "../config/kinds.js";

/** A stored entity as written (vault references unresolved), foreign keys as `{ id }`. */
export type StoredRecord = { id: string } & Record<string, unknown>;

/** Kong's entity timestamps (epoch seconds), which the declarative format does not carry. */
export interface EntityTimestamps {
  created_at: number;
  updated_at: number;
}

export interface StoredState {
  /** a declarative document (flat collections, references by id) the loader reads */
  document: Record<string, unknown>;
  /** changes whenever the stored state changes */
  version: string;
  /** per entity id, where the store keeps them (database mode) */
  timestamps: ReadonlyMap<string, EntityTimestamps>;
  /**
   * database mode, a state read incrementally: the version it was read from and the kinds that
   * changed since (absent when it was read whole)
   */
  delta?: { since: string; kinds: readonly KindName[] };
}

export interface StoreHealth {
  reachable: boolean;
}

/** The one change an entity write makes, already checked against the entity's schema. */
export type EntityWrite =
  | { op: "insert"; kind: KindName; record: StoredRecord }
  | { op: "replace"; kind: KindName; record: StoredRecord }
  | { op: "delete"; kind: KindName; id: string };

export interface ConfigStore {
  readonly mode: "off" | "postgres";
  /** The current state; null when nothing is stored yet (DB-less without a configuration). */
  load(): Promise<StoredState | null>;
  /** Called after the stored state changed (by any replica); the server loads again. */
  watch(onChange: () => void): () => void;
  /** Database reachability (GET /status `database`); null in DB-less mode. */
  health(): StoreHealth | null;
  close(): Promise<void>;
}
