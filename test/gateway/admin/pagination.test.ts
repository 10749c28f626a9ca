/**
 * Admin API lists as Kong answers them (spec/02-integration/04-admin_api/15-off_spec.lua,
 * 14-tags_spec.lua and kong/api/endpoints.lua re-expressed): `next` links, size / offset /
 * tags errors with Kong's codes, UTF-8 tags, lists written empty, the disabled /targets.
 */
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeState, json, startAdmin } from "./_support.js";

const ROCKET = "🚀";

const DOC = {
  _format_version: "3.0",
  services: [
    {
      name: "a",
      host: "a.internal",
      tags: ["team", ROCKET],
      routes: [
        { name: "a1", paths: ["/a1"] },
        { name: "a2", paths: ["/a2"] },
        { name: "a3", paths: ["/a3"] },
      ],
    },
    { name: "b", host: "b.internal", tags: ["team", "été"] },
    {
      name: "c",
      host: "c.internal",
      tags: [],
      routes: [{ name: "empty", paths: ["/e"], methods: [], hosts: [] }],
    },
  ],
  consumers: [{ username: "u", keyauth_credentials: [{ key: "k1", tags: [] }, { key: "k2" }] }],
  upstreams: [{ name: "up", targets: [{ target: "10.0.0.1:80" }, { target: "10.0.0.2:80" }] }],
};

let admin: Awaited<ReturnType<typeof startAdmin>>;
const get = async (path: string) => {
  const res = await fetch(`${admin.base}${path}`);
  return { status: res.status, body: await json(res) };
};
const names = (body: Record<string, unknown>) => (body.data as Array<{ name: string }>).map((e) => e.name);

beforeAll(async () => {
  admin = await startAdmin(new FakeState(), DOC);
});
afterAll(() => admin?.close());

describe("next links", () => {
  it("top level: /services?offset=…&tags=…&size=…, Kong's parameter order", async () => {
    const first = await get("/services?size=1&tags=team");
    expect(names(first.body)).toEqual(["a"]);
    expect(first.body.next).toBe(`/services?offset=${first.body.offset}&tags=team&size=1`);
    const second = await get(first.body.next as string);
    expect(names(second.body)).toEqual(["b"]);
    expect(second.body.next).toBeNull();
    expect(second.body.offset).toBeUndefined();
  });

  it("without tags or size only the offset; the size is repeated as written", async () => {
    const page = await get("/routes?size=0x2");
    expect(names(page.body)).toEqual(["a1", "a2"]);
    expect(page.body.next).toBe(`/routes?offset=${page.body.offset}&size=0x2`);
  });

  it("nested lists carry the offset alone, under the path as requested", async () => {
    const first = await get("/services/a/routes?size=2&tags=x/y");
    expect(first.body.data).toEqual([]);
    const page = await get("/services/a/routes?size=2");
    expect(page.body.next).toBe(`/services/a/routes?offset=${page.body.offset}`);
    expect(names((await get(page.body.next as string)).body)).toEqual(["a3"]);
  });

  it("credential and target lists are paginated too", async () => {
    const keys = await get("/consumers/u/key-auth?size=1");
    expect((keys.body.data as unknown[]).length).toBe(1);
    expect(keys.body.next).toBe(`/consumers/u/key-auth?offset=${keys.body.offset}`);
    const targets = await get("/upstreams/up/targets?size=1");
    expect(targets.body.next).toBe(`/upstreams/up/targets?offset=${targets.body.offset}`);
  });
});

describe("errors carry Kong's code and name", () => {
  it.each([
    ["size=abc", { code: 9, name: "invalid size", message: "size must be a number" }],
    ["size=0", { code: 9, name: "invalid size", message: "size must be an integer between 1 and 1000" }],
    ["size=1.5", { code: 9, name: "invalid size", message: "size must be an integer between 1 and 1000" }],
    ["size=1001", { code: 9, name: "invalid size", message: "size must be an integer between 1 and 1000" }],
    [
      "offset=x",
      { code: 7, name: "invalid offset", message: "'x' is not a valid offset: bad base64 encoding" },
    ],
    [
      "tags=",
      {
        code: 11,
        name: "invalid options",
        message: "invalid option (tags: cannot be null)",
        options: { tags: "cannot be null" },
      },
    ],
    [
      "tags=a,b/c",
      {
        code: 11,
        name: "invalid options",
        message: "invalid option (tags: invalid filter syntax)",
        options: { tags: "invalid filter syntax" },
      },
    ],
    [
      "tags=1,2,3,4,5,6",
      {
        code: 11,
        name: "invalid options",
        message: "invalid option (tags: cannot query more than 5 tags)",
        options: { tags: "cannot query more than 5 tags" },
      },
    ],
  ])("GET /routes?%s → 400 %j", async (query, error) => {
    const res = await get(`/routes?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(error);
  });

  it("an unreadable offset is refused whatever it holds", async () => {
    const res = await get("/routes?offset=%7Cpotato%7C");
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 7, name: "invalid offset" });
  });

  it("nested lists check the same way", async () => {
    expect((await get("/services/a/routes?size=abc")).body).toMatchObject({ code: 9 });
  });
});

describe("tags", () => {
  it("UTF-8 tags load and filter, and are escaped in next", async () => {
    expect(names((await get(`/services?tags=${encodeURIComponent(ROCKET)}`)).body)).toEqual(["a"]);
    expect(names((await get(`/services?tags=${encodeURIComponent(`${ROCKET}/été`)}`)).body)).toEqual([
      "a",
      "b",
    ]);
    const page = await get(`/services?tags=team,${encodeURIComponent(ROCKET)}&size=1`);
    expect(names(page.body)).toEqual(["a"]);
    expect(page.body.next).toBeNull();
    const both = await get("/services?tags=team&size=1");
    expect((both.body.data as Array<{ tags: string[] }>)[0]!.tags).toEqual(["team", ROCKET]);
    const escaped = await get(`/services?tags=${encodeURIComponent("été")}/team&size=1`);
    expect(escaped.body.next).toBe(
      `/services?offset=${escaped.body.offset}&tags=%C3%A9t%C3%A9%2Fteam&size=1`,
    );
  });

  it("lists written empty come back as [], unset ones as null", async () => {
    const c = (await get("/services/c")).body;
    expect(c.tags).toEqual([]);
    expect((await get("/services/a")).body.tags).toEqual(["team", ROCKET]);
    const route = (await get("/routes/empty")).body;
    expect(route).toMatchObject({ methods: [], hosts: [], paths: ["/e"], snis: null, tags: null });
    const keys = (await get("/consumers/u/key-auth")).body.data as Array<{ tags: unknown }>;
    expect(keys.map((k) => k.tags)).toEqual([[], null]);
  });
});

describe("/targets (Kong has only /upstreams/{upstream}/targets)", () => {
  it.each([
    ["GET", "/targets"],
    ["GET", "/targets/10.0.0.1:80"],
    ["POST", "/targets"],
    ["DELETE", "/targets/10.0.0.1:80/upstream"],
  ])("%s %s → 404", async (method, path) => {
    const res = await fetch(`${admin.base}${path}`, { method });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: "Not found" });
  });
});
