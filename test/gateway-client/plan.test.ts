/** The sync plan on its own: value comparison, what is a conflict, and the order of the changes. */
import { describe, expect, it } from "vitest";
import type { KindName } from "../../src/gateway/config/kinds.js";
import type { AdminEntity } from "../../src/gateway-client/collections.js";
import { planSync, sameValue } from "../../src/gateway-client/plan.js";

const TAG = "managed";
const state = (entries: Partial<Record<KindName, AdminEntity[]>>) =>
  new Map(Object.entries(entries) as Array<[KindName, AdminEntity[]]>);

describe("sameValue", () => {
  it("null and absent are the same; a redacted gateway value and a vault reference match anything", () => {
    expect(sameValue(null, undefined)).toBe(true);
    expect(sameValue(undefined, null)).toBe(true);
    expect(sameValue(null, "x")).toBe(false);
    expect(sameValue("s3cret", "[REDACTED]")).toBe(true);
    expect(sameValue("{vault://env/KEY}", "resolved-value")).toBe(true);
    expect(sameValue({ a: 1, b: null }, { a: 1 })).toBe(true);
    expect(sameValue({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameValue(["a", "b"], ["b", "a"])).toBe(false);
    expect(sameValue([1], [1, 2])).toBe(false);
    expect(sameValue({ config: { minute: 5 } }, { config: { minute: 6 } })).toBe(false);
  });
});

describe("planSync", () => {
  const svc = (id: string, name: string, tags: string[] | null, extra: Record<string, unknown> = {}) => ({
    id,
    name,
    host: "h",
    tags,
    ...extra,
  });

  it("creates, updates only what differs, deletes tagged leftovers children first, leaves untagged alone", () => {
    const desired = state({
      services: [svc("s1", "a", [TAG]), svc("s2", "b", [TAG], { host: "new" })],
      routes: [{ id: "r1", name: "ra", service: { id: "s1" }, tags: [TAG] }],
    });
    const live = state({
      services: [
        svc("s2", "b", [TAG], { created_at: 1 }),
        svc("s3", "gone", [TAG]),
        svc("s4", "by-hand", null),
      ],
      routes: [{ id: "r3", name: "rgone", service: { id: "s3" }, tags: [TAG] }],
    });
    const plan = planSync(desired, live, TAG);
    expect(plan.conflicts).toEqual([]);
    expect(plan.changes.map((c) => `${c.action} ${c.label}`)).toEqual([
      "create services a",
      "update services b",
      "create routes ra",
      "delete routes rgone",
      "delete services gone",
    ]);
    expect(plan.changes[1]!.fields).toEqual(["host"]);
  });

  it("conflicts: an untagged entity's id or name, and a delete cascading into an untagged child", () => {
    const desired = state({
      services: [svc("s1", "a", [TAG]), svc("s2", "b", [TAG])],
      plugins: [{ id: "p1", name: "cors", service: null, route: null, consumer: null, tags: [TAG] }],
    });
    const live = state({
      services: [svc("s1", "a", null), svc("x", "b", ["other"]), svc("s9", "old", [TAG])],
      plugins: [
        { id: "p0", name: "cors", service: null, route: null, consumer: null, tags: null },
        { id: "p9", name: "key-auth", service: { id: "s9" }, route: null, consumer: null, tags: null },
      ],
    });
    const plan = planSync(desired, live, TAG);
    expect(plan.conflicts.map((c) => `${c.label}: ${c.reason}`)).toEqual([
      "services a: exists in the gateway without the tag 'managed'",
      "services b: name=b is taken by x, which does not carry the tag 'managed'",
      "plugins cors (global): scope=cors service=- route=- consumer=- is taken by p0, which does not carry the tag 'managed'",
      "services old: deleting it would delete plugins key-auth (service s9) (p9), which does not carry the tag 'managed'",
    ]);
  });

  it("a tagged entity whose unique key a new one takes is deleted before the creates", () => {
    const desired = state({ consumers: [{ id: "c2", username: "demo", custom_id: null, tags: [TAG] }] });
    const live = state({ consumers: [{ id: "c1", username: "demo", custom_id: null, tags: [TAG] }] });
    const plan = planSync(desired, live, TAG);
    expect(plan.changes.map((c) => `${c.action} ${c.id}${c.early ? " early" : ""}`)).toEqual([
      "delete c1 early",
      "create c2",
    ]);
  });

  it("basic-auth passwords are not compared (the gateway shows a hash)", () => {
    const cred = (password: string) => ({
      id: "b1",
      consumer: { id: "c1" },
      username: "u",
      password,
      tags: [TAG],
    });
    const plan = planSync(
      state({ basicauth_credentials: [cred("plain")] }),
      state({ basicauth_credentials: [cred("$2b$hash")] }),
      TAG,
    );
    expect(plan.changes).toEqual([]);
    expect(plan.unchanged).toBe(1);
  });
});
