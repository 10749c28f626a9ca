/**
 * The stored state a gateway has loaded, kept so the next load reads only what changed: every row
 * carries the state version that last wrote it and every delete leaves a tombstone with its version,
 * so "what changed since version V" is two indexed queries instead of reading every entity again (at
 * 10,000 routes a full read is most of a replica's reload). The document built from it is the one a
 * full read builds — collections in the loader's order, each sorted by (created_at, id) as the full
 * query orders them — so replicas loading either way agree on the configuration hash.
 *
 * A loaded state is never changed: applying changes makes a new one sharing the untouched
 * collections (the records themselves are shared too; nothing writes to them).
 */
import type { KindName } from "../../config/kinds.js";
import type { EntityTimestamps, StoredRecord, StoredState } from "../types.js";

/** Collections in the order the loader reads them (parents first). */
export const KIND_ORDER: readonly KindName[] = [
  "services",
  "routes",
  "upstreams",
  "targets",
  "consumers",
  "keyauth_credentials",
  "jwt_secrets",
  "basicauth_credentials",
  "hmacauth_credentials",
  "oauth2_credentials",
  "acls",
  "plugins",
  "oauth2_authorization_codes",
  "oauth2_tokens",
];

/** One stored entity as a row gives it. */
export interface EntityRow {
  kind: KindName;
  data: StoredRecord;
  created_at: number;
  updated_at: number;
}

interface Entry {
  record: StoredRecord;
  created_at: number;
  updated_at: number;
}

type Collection = ReadonlyMap<string, Entry>;

/** (created_at, id): the full query's ORDER BY (ids are lowercase UUIDs, whose text order is PostgreSQL's). */
const byCreation = (a: Entry, b: Entry) =>
  a.created_at - b.created_at || (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0);

export class LoadedState {
  private constructor(
    /** the state version these collections are */
    readonly version: bigint,
    private readonly collections: ReadonlyMap<KindName, Collection>,
    private readonly sorted: ReadonlyMap<KindName, readonly StoredRecord[]>,
    /** read incrementally: the version it was read from and the kinds that changed since; null: read whole */
    private readonly delta: { since: bigint; kinds: ReadonlySet<KindName> } | null = null,
  ) {}

  /** Every row of the state at `version`. */
  static full(version: bigint, rows: readonly EntityRow[]): LoadedState {
    const collections = new Map<KindName, Map<string, Entry>>();
    for (const row of rows) {
      let c = collections.get(row.kind);
      if (!c) {
        c = new Map();
        collections.set(row.kind, c);
      }
      c.set(row.data.id, { record: row.data, created_at: row.created_at, updated_at: row.updated_at });
    }
    return new LoadedState(version, collections, sortAll(collections, collections.keys()));
  }

  /** This state with the rows written and the entities deleted since, as `version`. */
  changed(
    version: bigint,
    rows: readonly EntityRow[],
    deleted: ReadonlyArray<{ kind: KindName; id: string }>,
  ): LoadedState {
    if (rows.length === 0 && deleted.length === 0)
      return new LoadedState(version, this.collections, this.sorted, {
        since: this.version,
        kinds: new Set(),
      });
    const collections = new Map(this.collections);
    const touched = new Set<KindName>();
    const writable = (kind: KindName): Map<string, Entry> => {
      if (!touched.has(kind)) {
        touched.add(kind);
        collections.set(kind, new Map(this.collections.get(kind) ?? []));
      }
      return collections.get(kind) as Map<string, Entry>;
    };
    // tombstones first: a row present now is the truth, even for an id deleted and created again
    for (const d of deleted)
      if (this.collections.get(d.kind)?.has(d.id) || touched.has(d.kind)) writable(d.kind).delete(d.id);
    for (const row of rows) {
      writable(row.kind).set(row.data.id, {
        record: row.data,
        created_at: row.created_at,
        updated_at: row.updated_at,
      });
    }
    const sorted = new Map(this.sorted);
    for (const [kind, list] of sortAll(collections, touched)) sorted.set(kind, list);
    return new LoadedState(version, collections, sorted, { since: this.version, kinds: touched });
  }

  /** The declarative document (flat collections, references by id) and the timestamps by id. */
  state(): StoredState {
    const document: Record<string, unknown> = { _format_version: "3.0" };
    const timestamps = new Map<string, EntityTimestamps>();
    for (const kind of KIND_ORDER) {
      const list = this.sorted.get(kind);
      if (list && list.length > 0) document[kind] = list;
      for (const e of this.collections.get(kind)?.values() ?? []) {
        timestamps.set(e.record.id, { created_at: e.created_at, updated_at: e.updated_at });
      }
    }
    const state: StoredState = { document, version: this.version.toString(), timestamps };
    if (this.delta !== null)
      state.delta = { since: this.delta.since.toString(), kinds: [...this.delta.kinds] };
    return state;
  }
}

function sortAll(
  collections: ReadonlyMap<KindName, Collection>,
  kinds: Iterable<KindName>,
): Map<KindName, readonly StoredRecord[]> {
  const out = new Map<KindName, readonly StoredRecord[]>();
  for (const kind of kinds) {
    const entries = [...(collections.get(kind)?.values() ?? [])].sort(byCreation);
    out.set(
      kind,
      entries.map((e) => e.record),
    );
  }
  return out;
}
