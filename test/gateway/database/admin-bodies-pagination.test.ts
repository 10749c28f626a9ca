/**
 * How the Admin API in database mode reads request bodies and pages lists, as Kong 3.x does
 * (kong/api/arguments.lua and api_helpers.lua; kong/api/endpoints.lua and the DAO's page;
 * 14-tags_spec.lua and the size/offset cases of 09/10 re-expressed) on a real PostgreSQL:
 * JSON taken as sent, url-encoded and multipart forms nested by their names (dotted keys,
 * `key[]=`, repeated keys) and typed by the schema; `size`/`offset`/`next` pages and the `tags`
 * filter, with Kong's error codes.
 */
import { generateKeyPairSync } from "node:crypto";
import { FormData } from "undici";
import { describe, expect, it } from "vitest";
import { rawRequest } from "../../support/gateway.js";
import { AdminClient, adminPerFile, type Json, schemaViolation, unique } from "./_admin.js";

const bed = adminPerFile();
const admin = () => bed.admin();

describe("request bodies", () => {
  it("a form, a multipart form and JSON make the same plugin (dotted config keys, typed values)", async () => {
    const form = await admin().form(
      "POST",
      "/plugins",
      `name=rate-limiting&config.minute=5&config.hour=100&config.policy=local&config.fault_tolerant=false&tags[]=${unique("t")}`,
    );
    const multipart = await admin().multipart("POST", "/plugins", [
      ["name", "rate-limiting"],
      ["config.minute", "5"],
      ["config.hour", "100"],
      ["config.policy", "local"],
      ["config.fault_tolerant", "false"],
      ["route.id", (await admin().create("/routes", { paths: ["/mp"] })).id as string],
    ]);
    const json = await admin().post("/plugins", {
      name: "rate-limiting",
      config: { minute: 5, hour: 100, policy: "local", fault_tolerant: false },
      service: { id: (await admin().create("/services", { host: "a.test" })).id },
    });
    for (const r of [form, multipart, json]) {
      expect(r.status).toBe(201);
      expect(r.body.config).toMatchObject({ minute: 5, hour: 100, policy: "local", fault_tolerant: false });
    }
    const configs = [form, multipart, json].map((r) => r.body.config);
    expect(configs[1]).toEqual(configs[0]);
    expect(configs[2]).toEqual(configs[0]);
  });

  it("repeated keys and key[] make lists; a lone value of a list field is a one-element list", async () => {
    let r = await admin().form(
      "POST",
      "/routes",
      "methods=GET&methods=POST&paths[]=/one&paths[]=/two&hosts=h.test",
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ methods: ["GET", "POST"], paths: ["/one", "/two"], hosts: ["h.test"] });
    r = await admin().form("POST", "/routes", "paths[1]=/first&paths[2]=/second");
    expect(r.status).toBe(201);
    expect(r.body.paths).toEqual(["/first", "/second"]);
    r = await admin().multipart("POST", "/routes", [
      ["paths[]", "/m1"],
      ["paths[]", "/m2"],
      ["snis", "a.test"],
      ["protocols", "https"],
    ]);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ paths: ["/m1", "/m2"], snis: ["a.test"], protocols: ["https"] });
  });

  it("a multipart file part gives its content (curl -F rsa_public_key=@public.pem)", async () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const c = await admin().create("/consumers", { username: unique("rsa") });
    const form = new FormData();
    form.append("algorithm", "RS256");
    form.append("rsa_public_key", new Blob([pem], { type: "application/x-pem-file" }), "public.pem");
    const r = await admin().send("POST", `/consumers/${c.id}/jwt`, form);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ algorithm: "RS256", rsa_public_key: pem, consumer: { id: c.id } });
  });

  it("form values are typed by the field: numbers (Lua's tonumber), booleans, empty as null", async () => {
    const r = await admin().form(
      "POST",
      "/services",
      "host=typed.test&port=0x1F90&retries=%203%20&enabled=true&path=&name=",
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ port: 8080, retries: 3, enabled: true, path: null, name: null });
  });

  it("a form value that is no number or boolean is named by the schema", async () => {
    const r = await admin().form("POST", "/services", "host=typed.test&port=eighty&enabled=yes");
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("2 schema violations (enabled: expected a boolean; port: expected an integer)", {
        enabled: "expected a boolean",
        port: "expected an integer",
      }),
    );
  });

  it("JSON is taken as sent, never coerced", async () => {
    const r = await admin().post("/services", { host: "json.test", port: "8080" });
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (port: expected an integer)", { port: "expected an integer" }),
    );
  });

  it("an unknown field is a schema violation, in a form as in JSON", async () => {
    const r = await admin().form("POST", "/consumers", `username=${unique("u")}&nickname=bob`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (nickname: unknown field)", { nickname: "unknown field" }),
    );
  });

  it("an empty body without a content type is an empty object; another body type is 415", async () => {
    const r = await admin().send("POST", "/consumers");
    expect(r.status).toBe(400);
    expect(r.body.name).toBe("schema violation");
    expect((await admin().send("POST", "/consumers", "username=x", "text/plain")).status).toBe(415);
    expect((await admin().send("PATCH", "/consumers/x", "<xml/>", "application/xml")).status).toBe(415);
  });

  it("an empty body: JSON is Cannot parse JSON body, a form or multipart type an empty entity", async () => {
    const empty = (type: string) => admin().send("POST", "/consumers", "", type);
    expect(await empty("application/json")).toMatchObject({
      status: 400,
      body: { message: "Cannot parse JSON body" },
    });
    const msg = "at least one of these fields must be non-empty: 'custom_id', 'username'";
    for (const type of ["application/x-www-form-urlencoded", "multipart/form-data"]) {
      const r = await empty(type);
      expect([type, r.status, r.body.name, (r.body.fields as Json)["@entity"]]).toEqual([
        type,
        400,
        "schema violation",
        [msg],
      ]);
    }
  });

  it("a body without a content type is 415", async () => {
    const base = bed.gateway().adminUrl!;
    const r = await rawRequest(base, "/consumers", { method: "POST", body: "username=x" });
    expect(r.status).toBe(415);
  });

  it("more than 1000 form arguments is 400 Too many arguments", async () => {
    const args = Array.from({ length: 1001 }, (_, i) => `tags[]=t${i}`).join("&");
    const r = await admin().form("POST", "/consumers", `username=${unique("u")}&${args}`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ message: "Too many arguments" });
  });
});

describe("pagination", () => {
  /** `count` services tagged `tag`; their ids */
  const tagged = async (tag: string, count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++)
      ids.push((await admin().create("/services", { host: "p.test", tags: [tag] })).id as string);
    return ids;
  };

  it("pages with size, next and offset until next is null", async () => {
    const tag = unique("page");
    const ids = await tagged(tag, 5);
    const seen: string[] = [];
    let path: string | null = `/services?tags=${tag}&size=2`;
    const sizes: number[] = [];
    while (path !== null) {
      const r = await admin().get(path);
      expect(r.status).toBe(200);
      const data = r.body.data as Json[];
      sizes.push(data.length);
      seen.push(...data.map((s) => s.id as string));
      const next = r.body.next as string | null;
      if (next !== null) {
        expect(next).toBe(
          `/services?offset=${encodeURIComponent(r.body.offset as string)}&tags=${tag}&size=2`,
        );
      } else expect(r.body.offset).toBeUndefined();
      path = next;
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect([...seen].sort()).toEqual([...ids].sort());
  });

  it("a write between two pages neither repeats nor skips an entity (offsets are keys, as Kong's)", async () => {
    const tag = unique("stable");
    const ids = await tagged(tag, 5);
    const first = await admin().get(`/services?tags=${tag}&size=2`);
    const firstIds = (first.body.data as Json[]).map((s) => s.id as string);
    // the first page's first entity goes before the next page is read
    expect((await admin().delete(`/services/${firstIds[0]}`)).status).toBe(204);
    const seen = [...firstIds];
    let next = first.body.next as string | null;
    while (next !== null) {
      const r = await admin().get(next);
      expect(r.status).toBe(200);
      seen.push(...(r.body.data as Json[]).map((s) => s.id as string));
      next = r.body.next as string | null;
    }
    const existing = ids.filter((id) => seen.includes(id));
    expect(existing.sort()).toEqual([...ids].sort());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("nested lists page too, their next carrying the offset alone", async () => {
    const s = await admin().create("/services", { host: "n.test" });
    for (const p of ["/n1", "/n2", "/n3"]) await admin().create(`/services/${s.id}/routes`, { paths: [p] });
    const first = await admin().get(`/services/${s.id}/routes?size=2`);
    expect((first.body.data as Json[]).length).toBe(2);
    expect(first.body.next).toBe(
      `/services/${s.id}/routes?offset=${encodeURIComponent(first.body.offset as string)}`,
    );
    const second = await admin().get(`${first.body.next as string}&size=2`);
    expect(second.body).toMatchObject({ next: null });
    expect((second.body.data as Json[]).length).toBe(1);
  });

  it("an empty list is {data: [], next: null}", async () => {
    const r = await admin().get(`/services?tags=${unique("none")}`);
    expect(r.status).toBe(200);
    expect(r.text).toBe('{"data":[],"next":null}');
  });

  it("refuses a size out of range or no number (code 9) and a bad offset (code 7)", async () => {
    for (const size of ["0", "1001", "-1", "1.5"]) {
      const r = await admin().get(`/services?size=${size}`);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({
        code: 9,
        name: "invalid size",
        message: "size must be an integer between 1 and 1000",
      });
    }
    let r = await admin().get("/routes?size=abc");
    expect(r).toMatchObject({
      status: 400,
      body: { code: 9, name: "invalid size", message: "size must be a number" },
    });
    r = await admin().get("/routes?offset=x");
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      code: 7,
      name: "invalid offset",
      message: "'x' is not a valid offset: bad base64 encoding",
    });
  });

  it("tags=a,b needs both, tags=a/b either", async () => {
    const a = unique("a");
    const b = unique("b");
    const both = await admin().create("/consumers", { username: unique("both"), tags: [a, b] });
    const onlyA = await admin().create("/consumers", { username: unique("a"), tags: [a] });
    const onlyB = await admin().create("/consumers", { username: unique("b"), tags: [b, "other"] });
    await admin().create("/consumers", { username: unique("none") });
    const ids = async (query: string) =>
      ((await admin().get(`/consumers?tags=${query}`)).body.data as Json[]).map((c) => c.id).sort();
    expect(await ids(`${a},${b}`)).toEqual([both.id]);
    expect(await ids(`${a}/${b}`)).toEqual([both.id, onlyA.id, onlyB.id].sort());
    expect(await ids(a)).toEqual([both.id, onlyA.id].sort());
  });

  it("refuses an empty tags filter, a mixed one and more than 5 tags (code 11)", async () => {
    let r = await admin().get("/services?tags=");
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      code: 11,
      name: "invalid options",
      message: "invalid option (tags: cannot be null)",
      options: { tags: "cannot be null" },
    });
    r = await admin().get("/services?tags=a,b/c");
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 11, message: "invalid option (tags: invalid filter syntax)" });
    r = await admin().get("/services?tags=a,b,c,d,e,f");
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      code: 11,
      message: "invalid option (tags: cannot query more than 5 tags)",
    });
  });

  it("a tag written through a form is found by the filter", async () => {
    const tag = unique("formtag");
    const r = await admin().form("POST", "/upstreams", `name=${unique("up")}&tags=${tag}`);
    expect(r.status).toBe(201);
    expect(r.body.tags).toEqual([tag]);
    expect((await admin().get(`/upstreams?tags=${tag}`)).body.data).toEqual([r.body]);
  });
});

describe("entities written by POST /config", () => {
  it("are read, patched and deleted through the Admin API like any other", async () => {
    const other = new AdminClient((await bed.fx.gateway(await bed.fx.freshDatabase())).adminUrl!);
    const doc = {
      _format_version: "3.0",
      services: [
        {
          name: "s",
          url: "http://a.test:81/p",
          routes: [{ name: "r", paths: ["/r"], plugins: [{ name: "cors" }] }],
          plugins: [{ name: "rate-limiting", config: { minute: 5 } }],
        },
      ],
      upstreams: [{ name: "u", targets: [{ target: "10.0.0.1:80" }] }],
      consumers: [
        {
          username: "c",
          keyauth_credentials: [{ key: "k1" }],
          jwt_secrets: [{ key: "j1", secret: "s" }],
          basicauth_credentials: [{ username: "b", password: "p" }],
          acls: [{ group: "g" }],
        },
      ],
      plugins: [{ name: "correlation-id" }],
    };
    expect((await other.post("/config", doc)).status).toBe(201);
    const statuses: Record<string, number> = {};
    for (const path of ["/services/s", "/routes/r", "/upstreams/u", "/consumers/c"])
      statuses[path] = (await other.patch(path, { tags: ["x"] })).status;
    for (const p of (await other.get("/plugins")).body.data as Json[])
      statuses[`plugin ${p.name}`] = (await other.patch(`/plugins/${p.id}`, { tags: ["x"] })).status;
    statuses.target = (await other.patch("/upstreams/u/targets/10.0.0.1:80", { weight: 5 })).status;
    for (const seg of ["key-auth", "jwt", "basic-auth", "acls"]) {
      const c = ((await other.get(`/consumers/c/${seg}`)).body.data as Json[])[0]!;
      statuses[seg] = (await other.patch(`/consumers/c/${seg}/${c.id}`, { tags: ["x"] })).status;
    }
    expect(Object.values(statuses)).toEqual(Array(12).fill(200));
    const s = await other.patch("/services/s", { host: "b.test" });
    expect(s.body).toMatchObject({ host: "b.test", port: 81, path: "/p", tags: ["x"] });
    expect((await other.delete("/routes/r")).status).toBe(204);
    expect((await other.delete("/services/s")).status).toBe(204);
    expect((await other.get("/plugins")).body.data).toHaveLength(1);
  });
});
