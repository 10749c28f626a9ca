/**
 * LoadedState: a state built from the previous one plus the rows and tombstones since is the state
 * a full read gives — same document (collections in the loader's order, each by created_at then id),
 * same timestamps — whatever mix of writes, deletes and re-creations happened in between; and the
 * earlier state is left as it was.
 */
import { describe, expect, it } from "vitest";
import type { KindName } from "../../../../src/gateway/config/kinds.js";
import {
  type EntityRow,
  KIND_ORDER,
  LoadedState,
} from "../../../../src/gateway/store/postgres/loaded-state.js";

/** A small deterministic generator (the same cases every run). */
function generator(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
}

const uuid = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;

function row(kind: KindName, id: number, createdAt: number, updatedAt: number, tag: string): EntityRow {
  return { kind, data: { id: uuid(id), tag }, created_at: createdAt, updated_at: updatedAt };
}

describe("LoadedState", () => {
  it("an empty state is the bare document", () => {
    expect(LoadedState.full(0n, []).state()).toEqual({
      document: { _format_version: "3.0" },
      version: "0",
      timestamps: new Map(),
    });
  });

  it("collections come in the loader's order, each sorted by created_at then id", () => {
    const state = LoadedState.full(3n, [
      row("plugins", 1, 10, 10, "p"),
      row("routes", 9, 5, 5, "r-late-id"),
      row("routes", 2, 5, 5, "r-early-id"),
      row("services", 3, 1, 1, "s"),
      row("routes", 4, 1, 7, "r-first"),
    ]).state();
    expect(Object.keys(state.document)).toEqual(["_format_version", "services", "routes", "plugins"]);
    expect((state.document.routes as Array<{ tag: string }>).map((r) => r.tag)).toEqual([
      "r-first",
      "r-early-id",
      "r-late-id",
    ]);
    expect(state.timestamps.get(uuid(4))).toEqual({ created_at: 1, updated_at: 7 });
    expect(state.version).toBe("3");
  });

  it("from changes is what a full read of the same rows is, over many random histories", () => {
    const kinds = KIND_ORDER.slice(0, 4);
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = generator(seed);
      const table = new Map<string, EntityRow>(); // what the database holds
      let clock = 0;
      let version = 0n;
      let state = LoadedState.full(version, []);
      for (let step = 0; step < 30; step++) {
        version++;
        const written: EntityRow[] = [];
        const deleted: Array<{ kind: KindName; id: string }> = [];
        for (let op = rnd(4); op >= 0; op--) {
          const kind = kinds[rnd(kinds.length)]!;
          const id = rnd(12);
          const key = `${kind}/${uuid(id)}`;
          if (rnd(3) === 0 && table.has(key)) {
            table.delete(key);
            deleted.push({ kind, id: uuid(id) });
          } else {
            const before = table.get(key);
            clock++;
            const r = row(kind, id, before?.created_at ?? clock, clock, `v${version}`);
            table.set(key, r);
            // the database returns a row once, at its latest version
            const i = written.findIndex((w) => w.kind === kind && w.data.id === r.data.id);
            if (i >= 0) written.splice(i, 1);
            written.push(r);
          }
        }
        const previous = state;
        const previousDoc = JSON.stringify(previous.state().document);
        state = state.changed(
          version,
          written.filter((w) => table.get(`${w.kind}/${w.data.id}`) === w),
          deleted,
        );
        expect(JSON.stringify(previous.state().document)).toBe(previousDoc); // untouched
        const full = LoadedState.full(version, [...table.values()]).state();
        const { delta, ...incremental } = state.state();
        expect(incremental).toEqual(full);
        // the kinds it says changed: those written or deleted at this step
        const changedKinds = new Set([...written, ...deleted].map((c) => c.kind));
        for (const kind of delta?.kinds ?? []) expect(changedKinds.has(kind)).toBe(true);
        expect(delta?.since).toBe((version - 1n).toString());
      }
    }
  });

  it("a state read from changes says which kinds changed since which version; a full read says nothing", () => {
    const base = LoadedState.full(1n, [row("services", 1, 1, 1, "s"), row("oauth2_tokens", 2, 1, 1, "t")]);
    expect(base.state().delta).toBeUndefined();
    const tokens = base.changed(
      2n,
      [row("oauth2_tokens", 3, 2, 2, "t2")],
      [{ kind: "oauth2_tokens", id: uuid(2) }],
    );
    expect(tokens.state().delta).toEqual({ since: "1", kinds: ["oauth2_tokens"] });
    // a tombstone of an entity it never held is no change
    const nothing = tokens.changed(3n, [], [{ kind: "routes", id: uuid(9) }]);
    expect(nothing.state().delta).toEqual({ since: "2", kinds: [] });
    const both = nothing.changed(
      4n,
      [row("services", 1, 1, 4, "s2"), row("oauth2_tokens", 4, 4, 4, "t")],
      [],
    );
    expect(new Set(both.state().delta?.kinds)).toEqual(new Set(["services", "oauth2_tokens"]));
  });

  it("an id deleted and created again in one change is present (rows are the truth)", () => {
    const base = LoadedState.full(1n, [row("services", 1, 1, 1, "old")]);
    const next = base.changed(2n, [row("services", 1, 2, 2, "new")], [{ kind: "services", id: uuid(1) }]);
    expect(next.state().document.services).toEqual([{ id: uuid(1), tag: "new" }]);
    expect(
      base.changed(3n, [], [{ kind: "services", id: uuid(1) }]).state().document.services,
    ).toBeUndefined();
  });
});
