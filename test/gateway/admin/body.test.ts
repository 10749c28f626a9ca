/**
 * decodeAdminBody: a write's bytes and Content-Type to the object the schema check takes,
 * as Kong's Admin API builds it (kong/api/arguments.lua, arguments_decoder.lua; Kong's
 * spec/01-unit/01-db/03-arguments_spec.lua re-expressed): form names nested, repeated names
 * and `[]` as lists, values typed by the target schema (entity records and plugin config
 * schemas), JSON as sent, and the encodings Kong refuses.
 */
import { FormData, Response } from "undici";
import { describe, expect, it } from "vitest";
import { decodeAdminBody } from "../../../src/gateway/admin/body.js";
import { KINDS } from "../../../src/gateway/config/kinds.js";
import type { PluginLookup } from "../../../src/gateway/config/load.js";
import type { RecordField } from "../../../src/gateway/config/schema/fields.js";
import cors from "../../../src/gateway/plugins/cors/index.js";
import rateLimiting from "../../../src/gateway/plugins/rate-limiting/index.js";
import { fakePlugin } from "../support/config.js";

const FORM = "application/x-www-form-urlencoded";

/** A schema with one field of every kind inference knows. */
const PERSON: RecordField = {
  type: "record",
  fields: {
    name: { type: "string" },
    age: { type: "number" },
    siblings: { type: "integer" },
    has_license: { type: "boolean" },
    aliases: { type: "set", elements: { type: "string" } },
    scores: { type: "array", elements: { type: "integer" } },
    labels: { type: "map", keys: { type: "string" }, values: { type: "number" } },
    address: {
      type: "record",
      fields: { zip: { type: "integer" }, street: { type: "string" } },
    },
    comments: { type: "string" },
  },
};

const person = { schema: PERSON };
const plugins: PluginLookup = (name) => (name === "rate-limiting" ? rateLimiting : fakePlugin(name));

async function decoded(body: string, target: Parameters<typeof decodeAdminBody>[2] = null, type = FORM) {
  const result = await decodeAdminBody(type, Buffer.from(body), target);
  if (!result.ok) throw new Error(`not decoded: ${result.status}`);
  return result.value;
}

/** A FormData as the bytes and Content-Type fetch would send. */
async function multipartOf(fields: ReadonlyArray<[string, string | Blob, string?]>) {
  const form = new FormData();
  for (const [name, value, filename] of fields) {
    if (typeof value === "string") form.append(name, value);
    else form.append(name, value, filename);
  }
  const res = new Response(form);
  return { type: res.headers.get("content-type")!, raw: Buffer.from(await res.arrayBuffer()) };
}

describe("form names", () => {
  it("dotted names nest records; brackets may hold dots; escaped brackets count", async () => {
    expect(await decoded("a.b.c=1&a.b.d=2&e=3")).toEqual({ a: { b: { c: "1", d: "2" } }, e: "3" });
    expect(await decoded("m[x.y]=1&m%5Bz%5D=2")).toEqual({ m: { "x.y": "1", z: "2" } });
    expect(await decoded("key%5Bfoo%5D%5Bbar%5D.key=v")).toEqual({ key: { foo: { bar: { key: "v" } } } });
  });

  it("lists: repeated names, `[]`, `[n]` (in index order), and nested positions", async () => {
    expect(await decoded("x=a&x=b")).toEqual({ x: ["a", "b"] });
    expect(await decoded("x[]=a&x[]=b")).toEqual({ x: ["a", "b"] });
    expect(await decoded("x[2]=b&x[1]=a")).toEqual({ x: ["a", "b"] });
    expect(await decoded("key[][]=v")).toEqual({ key: [["v"]] });
    expect(await decoded("s[1].ip=10.0.0.1&s[1].port=80&s[2].ip=10.0.0.2")).toEqual({
      s: [{ ip: "10.0.0.1", port: "80" }, { ip: "10.0.0.2" }],
    });
  });

  it("spellings that do not make a list stay a map (for the schema to refuse)", async () => {
    // a hole: positions 1 and 3 only
    expect(await decoded("x[1]=a&x[3]=c")).toEqual({ x: { "1": "a", "3": "c" } });
    // Kong's `x[].y` adds nothing for `[]`: it is `x.y`
    expect(await decoded("x[].y=1")).toEqual({ x: { y: "1" } });
  });

  it("a leading or trailing dot keeps the name whole; an empty name is skipped", async () => {
    expect(await decoded(".a=1&b.=2&=3")).toEqual({ ".a": "1", "b.": "2" });
  });

  it("`+`, %XX (UTF-8) and a malformed escape; a name without `=` is true", async () => {
    expect(await decoded("name=J%C3%BCrgen+Smith&odd=100%&flag")).toEqual({
      name: "Jürgen Smith",
      odd: "100%",
      flag: true,
    });
  });

  it("hostile names and values take linear time (no regex rescans)", async () => {
    const n = 300_000;
    const started = performance.now();
    const body = `${"%5B".repeat(n)}=1&${"[".repeat(n)}a=2&age=${"1".repeat(n)}x&siblings=${" ".repeat(n)}1`;
    const value = await decoded(body, person);
    expect(value.age).toBe(`${"1".repeat(n)}x`);
    expect(value.siblings).toBe(1);
    // quadratic scans of these would take minutes
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("__proto__ is a plain key, never a prototype", async () => {
    const value = await decoded("__proto__.polluted=1&a.__proto__=2");
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__", "a"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("values typed by the schema", () => {
  it("numbers (Lua's tonumber), booleans, lists of one, maps and records", async () => {
    const body =
      "name=peter&age=45.5&siblings=0x10&has_license=true&aliases=peta&scores= 7 &scores=8" +
      "&labels.height=1.8&address.zip=1000&address.street=Main";
    expect(await decoded(body, person)).toEqual({
      name: "peter",
      age: 45.5,
      siblings: 16,
      has_license: true,
      aliases: ["peta"],
      scores: [7, 8],
      labels: { height: 1.8 },
      address: { zip: 1000, street: "Main" },
    });
  });

  it("an empty value of a known field is null; unknown fields are left as sent", async () => {
    expect(await decoded("comments=&age=&aliases[]=&extra=", person)).toEqual({
      comments: null,
      age: null,
      aliases: [null],
      extra: "",
    });
  });

  it("what is not a number or boolean stays text, so the schema names it", async () => {
    expect(await decoded("age=old&has_license=yes&siblings=2.5&scores=x", person)).toEqual({
      age: "old",
      has_license: "yes",
      siblings: 2.5,
      scores: ["x"],
    });
  });

  it("entity schemas: an upstream's nested healthchecks, a route's header map of lists", async () => {
    expect(
      await decoded(
        "name=u&healthchecks.active.healthy.interval=5&healthchecks.active.healthy.http_statuses=200",
        {
          schema: KINDS.upstreams.schema,
        },
      ),
    ).toEqual({ name: "u", healthchecks: { active: { healthy: { interval: 5, http_statuses: [200] } } } });
    expect(await decoded("headers.x-version=2&strip_path=false", { schema: KINDS.routes.schema })).toEqual({
      headers: { "x-version": ["2"] },
      strip_path: false,
    });
  });

  it("a plugin's config by its own schema, chosen by `name` or by the stored plugin", async () => {
    const target = { schema: KINDS.plugins.schema, plugins };
    expect(
      await decoded("name=rate-limiting&config.minute=5&config.redis.ssl=true&enabled=false", target),
    ).toEqual({
      name: "rate-limiting",
      config: { minute: 5, redis: { ssl: true } },
      enabled: false,
    });
    expect(await decoded("config.minute=7", { ...target, pluginName: "rate-limiting" })).toEqual({
      config: { minute: 7 },
    });
    // no plugin to type it by: config is left as sent for the plugin check to judge
    expect(await decoded("config.minute=7", target)).toEqual({ config: { minute: "7" } });
    expect(await decoded("name=other&config.minute=7&config.key_names=k", target)).toEqual({
      name: "other",
      config: { minute: 7, key_names: ["k"] },
    });
  });

  it("beyond Kong: a comma list of choices is those choices (the guide's cors config.methods=GET,POST)", async () => {
    const target = {
      schema: KINDS.plugins.schema,
      plugins: (name: string) => (name === "cors" ? cors : undefined),
    };
    expect(await decoded("name=cors&config.methods=GET,POST,%20PUT,DELETE", target)).toMatchObject({
      config: { methods: ["GET", "POST", "PUT", "DELETE"] },
    });
    // only when every part is a choice: anything else stays one element, for the schema to judge
    expect(await decoded("name=cors&config.methods=GET,FETCH", target)).toMatchObject({
      config: { methods: ["GET,FETCH"] },
    });
    // a list of free strings is never split (an origin may hold a comma)
    expect(await decoded("name=cors&config.origins=a,b", target)).toMatchObject({
      config: { origins: ["a,b"] },
    });
    // an entity field with Kong's one_of: a route's protocols
    expect(await decoded("protocols=http,https", { schema: KINDS.routes.schema })).toEqual({
      protocols: ["http", "https"],
    });
  });

  it("no target: the form nested, nothing typed", async () => {
    expect(await decoded("port=80&tags=a")).toEqual({ port: "80", tags: "a" });
  });
});

describe("multipart (curl -F)", () => {
  it("the same names as a url-encoded form; a file part gives its text", async () => {
    const { type, raw } = await multipartOf([
      ["name", "rate-limiting"],
      ["config.minute", "5"],
      ["tags[]", "a"],
      ["tags[]", "b"],
      ["config.error_message", new Blob(["slow down"]), "message.txt"],
    ]);
    const result = await decodeAdminBody(type, raw, { schema: KINDS.plugins.schema, plugins });
    expect(result).toEqual({
      ok: true,
      value: { name: "rate-limiting", config: { minute: 5, error_message: "slow down" }, tags: ["a", "b"] },
    });
  });

  it("a body that is no multipart form is an empty form (Kong goes on without it)", async () => {
    for (const [type, body] of [
      ["multipart/form-data", ""],
      ["multipart/form-data; boundary=zzz", "not a form"],
      ["multipart/form-data; boundary=zzz", '--zzz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1'],
    ]) {
      expect(await decodeAdminBody(type, Buffer.from(body!), person), `${type} ${body}`).toEqual({
        ok: true,
        value: {},
      });
    }
  });
});

describe("bodies Kong refuses", () => {
  const refuse = (type: string | undefined, body: string) => decodeAdminBody(type, Buffer.from(body), person);

  it("415 for a type it does not read, or a body without a type", async () => {
    expect(await refuse("text/plain", "age=1")).toEqual({ ok: false, status: 415 });
    expect(await refuse(undefined, "age=1")).toEqual({ ok: false, status: 415 });
    expect(await refuse(undefined, "")).toEqual({ ok: true, value: {} });
  });

  it("400 for JSON that is no object; JSON values are never typed", async () => {
    const bad = { ok: false, status: 400, body: { message: "Cannot parse JSON body" } };
    expect(await refuse("application/json", "{nope")).toEqual(bad);
    expect(await refuse("application/json", "[1]")).toEqual(bad);
    expect(await refuse("application/json; charset=utf-8", '{"age":"45"}')).toEqual({
      ok: true,
      value: { age: "45" },
    });
  });

  it("400 Too many arguments past 1000 (url-encoded or multipart)", async () => {
    const tooMany = { ok: false, status: 400, body: { message: "Too many arguments" } };
    const names = (n: number) => Array.from({ length: n }, (_, i) => `f${i}=x`).join("&");
    expect(await refuse(`${FORM}; charset=UTF-8`, names(1001))).toEqual(tooMany);
    expect((await refuse(FORM, names(1000))).ok).toBe(true);
    const parts = await multipartOf(Array.from({ length: 1001 }, (_, i): [string, string] => [`f${i}`, "x"]));
    expect(await decodeAdminBody(parts.type, parts.raw, person)).toEqual(tooMany);
  });
});
