/** DeclarativeStore: DB-less mode's store — the served document as given, a version per replacement. */
import { describe, expect, it } from "vitest";
import { DeclarativeStore } from "../../../src/gateway/store/declarative.js";

describe("DeclarativeStore", () => {
  it("holds nothing until a document is served; then the document, its version, its changes", async () => {
    const store = new DeclarativeStore();
    expect(store.mode).toBe("off");
    expect(store.health()).toBeNull();
    expect(await store.load()).toBeNull();
    const changes: number[] = [];
    const unwatch = store.watch(() => changes.push(changes.length));

    expect(store.replace("_format_version: '3.0'\nservices:\n  - name: a\n    url: http://a\n")).toBe("1");
    expect(store.document()).toEqual({ _format_version: "3.0", services: [{ name: "a", url: "http://a" }] });
    const doc = { _format_version: "3.0", routes: [] };
    expect(store.replace(doc)).toBe("2");
    expect(store.document()).toBe(doc); // an object is kept as given
    expect(await store.load()).toEqual({ document: doc, version: "2", timestamps: new Map() });
    expect(changes).toEqual([0, 1]);

    unwatch();
    store.replace(doc);
    expect(changes).toHaveLength(2);
  });

  it("text that is no document gives no document (never a throw)", () => {
    const store = new DeclarativeStore();
    store.replace("[1, 2");
    expect(store.document()).toBeNull();
  });
});
