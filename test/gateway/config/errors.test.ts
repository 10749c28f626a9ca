/**
 * Kong's declarative-config errors: code 14, nested `fields`, the Lua-table `message`,
 * `flattened_errors`; one case per rule (schemas, references, uniqueness, plugins).
 */
import { describe, expect, it } from "vitest";
import { entityId } from "../../../src/gateway/config/ids.js";
import { parseDeclarativeConfig } from "../../../src/gateway/config/load.js";
import type { DeclarativeConfigError } from "../../../src/gateway/config/types.js";
import { fakeLookup } from "../support/config.js";

function errorOf(input: string | object): DeclarativeConfigError {
  const r = parseDeclarativeConfig(input, { plugins: fakeLookup, env: {} });
  if (r.ok) throw new Error("expected the configuration to be invalid");
  return r.error;
}

const doc = (rest: object) => ({ _format_version: "3.0", ...rest });

describe("error envelope", () => {
  it("has Kong's code, name, message and fields", () => {
    const e = errorOf({ services: [] });
    expect(e).toMatchObject({
      code: 14,
      name: "invalid declarative configuration",
      message: 'declarative config is invalid: {_format_version="required field missing"}',
      fields: { _format_version: "required field missing" },
    });
  });

  it.each([
    [{ _format_version: "4.0" }, { _format_version: "expected one of: 1.1, 2.1, 3.0" }],
    [{ _format_version: 3 }, { _format_version: "expected a string" }],
    [doc({ servicez: [] }), { servicez: "unknown field" }],
    [doc({ services: "nope" }), { services: "expected an array" }],
    [doc({ services: [42] }), { services: ["expected a record"] }],
  ])("%j → %j", (input, fields) => {
    expect(errorOf(input).fields).toEqual(fields);
  });

  it("unparseable text and non-objects", () => {
    expect(String(errorOf("services: [\n  - a\n b").fields.error)).toMatch(
      /^failed parsing declarative configuration: /,
    );
    expect(errorOf("[1, 2]").fields).toEqual({
      error: "failed parsing declarative configuration: expected an object",
    });
    expect(errorOf("just a string").fields.error).toBe(
      "failed parsing declarative configuration: expected an object",
    );
  });

  it("sparse positions: null padding in JSON, [n]= in the Lua message", () => {
    const e = errorOf(doc({ services: [{ host: "a.test" }, { host: "b.test" }, { port: 1 }] }));
    expect(e.fields).toEqual({ services: [null, null, { host: "required field missing" }] });
    expect(e.message).toBe('declarative config is invalid: {services={[3]={host="required field missing"}}}');
  });
});

describe("services", () => {
  it.each([
    [{ name: "s" }, { host: "required field missing" }],
    [{ host: "a.test", port: 70000 }, { port: "value should be between 0 and 65535" }],
    [{ host: "a.test", port: "80" }, { port: "expected an integer" }],
    [{ host: "a.test", retries: 1.5 }, { retries: "expected an integer" }],
    [{ host: "a.test", connect_timeout: 0 }, { connect_timeout: "value should be between 1 and 2147483646" }],
    [{ host: "a.test", path: "v1" }, { path: "should start with: /" }],
    [{ host: "a.test", path: "/a//b" }, { path: "must not have empty segments" }],
    [{ host: "a.test:80" }, { host: "must not have a port" }],
    [{ host: "bad host" }, { host: "invalid value: bad host" }],
    [
      { host: "a.test", name: "has space" },
      {
        name: "invalid value 'has space': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
      },
    ],
    [{ host: "a.test", colour: "red" }, { colour: "unknown field" }],
    [
      { host: "a.test", tags: ["ok", "a,b"] },
      {
        tags: [
          null,
          "invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences",
        ],
      },
    ],
  ])("%j → %j", (service, fields) => {
    expect(errorOf(doc({ services: [service] })).fields).toEqual({ services: [fields] });
  });

  it("tcp services take no path (entity check)", () => {
    expect(errorOf(doc({ services: [{ host: "a.test", protocol: "tcp", path: "/x" }] })).fields).toEqual({
      services: [
        {
          path: "value must be null",
          "@entity": ["failed conditional validation given value of field 'protocol'"],
        },
      ],
    });
  });
});

describe("routes", () => {
  const routeErr = (route: object) => errorOf(doc({ routes: [route] })).fields;

  it.each([
    [{ paths: ["foo"] }, { paths: ["should start with: / (fixed path) or ~/ (regex path)"] }],
    [{ paths: ["/a//b"] }, { paths: ["must not have empty segments"] }],
    [{ paths: ["/a/../b"] }, { paths: ["non-normalized path, consider use '/b' instead"] }],
    [{ paths: ["/%7euser"] }, { paths: ["non-normalized path, consider use '/~user' instead"] }],
    [{ paths: ["/bad%zz"] }, { paths: ["invalid url-encoded value: '%zz'"] }],
    [{ paths: [""] }, { paths: ["length must be at least 1"] }],
    [{ paths: [1] }, { paths: ["expected a string"] }],
    [{ paths: "/a" }, { paths: "expected an array" }],
    [{ methods: ["get"] }, { methods: ["invalid value: get"] }],
    [{ hosts: ["*.a.*"] }, { hosts: ["invalid wildcard: must have at most one wildcard"] }],
    [{ hosts: ["a.*.com"] }, { hosts: ["invalid wildcard: must be placed at leftmost or rightmost label"] }],
    [
      { headers: { Host: ["x"] } },
      { headers: { Host: "cannot contain 'host' header, which must be specified in the 'hosts' attribute" } },
    ],
    [
      { headers: { "x y": ["1"] } },
      { headers: { "x y": "bad header name 'x y', allowed characters are A-Z, a-z, 0-9, '_', and '-'" } },
    ],
    [{ headers: { "x-v": "1" } }, { headers: { "x-v": "expected an array" } }],
    [
      { paths: ["/"], protocols: ["ftp"] },
      { protocols: ["expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp"] },
    ],
    [
      { paths: ["/"], protocols: ["http", "grpc"] },
      { protocols: "these sets are mutually exclusive: ('http', 'https'), ('grpc', 'grpcs')" },
    ],
    [
      { paths: ["/"], https_redirect_status_code: 303 },
      { https_redirect_status_code: "expected one of: 426, 301, 302, 307, 308" },
    ],
    [{ paths: ["/"], strip_path: "yes" }, { strip_path: "expected a boolean" }],
    [{ paths: ["/"], path_handling: "v2" }, { path_handling: "expected one of: v0, v1" }],
  ])("%j → %j", (route, fields) => {
    expect(routeErr(route)).toEqual({ routes: [fields] });
  });

  it("an invalid regex names the engine's complaint", () => {
    expect(routeErr({ paths: ["/ok", "~/users/(foo/profile"] })).toEqual({
      routes: [
        { paths: [null, "invalid regex: '/users/(foo/profile' (missing closing ): `/users/(foo/profile`)"] },
      ],
    });
  });

  // Kong 3's router (ATC, Rust's regex crate) refuses them too: they cannot run in linear time
  it.each(["~/(?=a)b", "~/(?!admin)\\w+", "~/x(?<=x)y", "~/(a)\\1"])(
    "%s: look-around and backreferences are refused at load, naming the field",
    (path) => {
      expect(routeErr({ paths: [path] })).toEqual({
        routes: [
          {
            paths: [
              `invalid regex: '${path.slice(1)}' (look-around and backreferences are not supported: ` +
                "patterns are matched in linear time (RE2 syntax))",
            ],
          },
        ],
      });
    },
  );

  it("an invalid header regex names the header", () => {
    expect(routeErr({ headers: { "x-v": ["1", "~*^(v1"] } })).toEqual({
      routes: [{ headers: { "x-v": [null, "invalid regex: '^(v1' (missing closing ): `^(v1`)"] } }],
    });
  });

  it("a route must set something to match on", () => {
    expect(routeErr({ name: "empty" })).toEqual({
      routes: [
        {
          "@entity": [
            "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
          ],
        },
      ],
    });
    expect(routeErr({ name: "http-only", protocols: ["http"] })).toEqual({
      routes: [
        { "@entity": ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"] },
      ],
    });
  });

  it("snis need an https protocol", () => {
    expect(routeErr({ protocols: ["http"], snis: ["a.test"], paths: ["/"] })).toEqual({
      routes: [
        {
          "@entity": [
            "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'",
          ],
        },
      ],
    });
  });

  it("a nested route may not name its service", () => {
    expect(
      errorOf(doc({ services: [{ name: "s", host: "a.test", routes: [{ paths: ["/"], service: "s" }] }] }))
        .fields,
    ).toEqual({ services: [{ routes: [{ service: "value must be null" }] }] });
  });
});

describe("upstreams, targets, consumers, credentials", () => {
  it.each([
    [{ upstreams: [{}] }, { upstreams: [{ name: "required field missing" }] }],
    [
      { upstreams: [{ name: "10.0.0.1" }] },
      { upstreams: [{ name: "Invalid name ('10.0.0.1'); no ip addresses allowed" }] },
    ],
    [
      { upstreams: [{ name: "u", algorithm: "random" }] },
      {
        upstreams: [
          { algorithm: "expected one of: consistent-hashing, least-connections, round-robin, latency" },
        ],
      },
    ],
    [
      { upstreams: [{ name: "u", hash_on: "header" }] },
      {
        upstreams: [
          {
            hash_on_header: "required field missing",
            "@entity": ["failed conditional validation given value of field 'hash_on'"],
          },
        ],
      },
    ],
    [
      { upstreams: [{ name: "u", healthchecks: { active: { healthy: { successes: 300 } } } }] },
      {
        upstreams: [
          { healthchecks: { active: { healthy: { successes: "value should be between 0 and 255" } } } },
        ],
      },
    ],
    [
      { upstreams: [{ name: "u", targets: [{ target: "bad target!" }] }] },
      {
        upstreams: [
          { targets: [{ target: "Invalid target ('bad target!'); not a valid hostname or ip address" }] },
        ],
      },
    ],
    [
      { upstreams: [{ name: "u", targets: [{ target: "a.test", weight: 70000 }] }] },
      {
        upstreams: [{ targets: [{ weight: "value should be between 0 and 65535" }] }],
      },
    ],
    [{ targets: [{ target: "a.test" }] }, { targets: [{ upstream: "required field missing" }] }],
    [
      { consumers: [{ tags: [] }] },
      {
        consumers: [
          { "@entity": ["at least one of these fields must be non-empty: 'custom_id', 'username'"] },
        ],
      },
    ],
    [
      { keyauth_credentials: [{ key: "k" }] },
      { keyauth_credentials: [{ consumer: "required field missing" }] },
    ],
    [
      { consumers: [{ username: "u", basicauth_credentials: [{ username: "x" }] }] },
      {
        consumers: [{ basicauth_credentials: [{ password: "required field missing" }] }],
      },
    ],
    [
      { consumers: [{ username: "u", jwt_secrets: [{ key: "k", algorithm: "RS256" }] }] },
      {
        consumers: [
          {
            jwt_secrets: [
              {
                rsa_public_key: "required field missing",
                "@entity": ["failed conditional validation given value of field 'algorithm'"],
              },
            ],
          },
        ],
      },
    ],
  ])("%j → %j", (rest, fields) => {
    expect(errorOf(doc(rest)).fields).toEqual(fields);
  });
});

describe("references and uniqueness", () => {
  it("unknown references are listed under the entity's name (Kong's shape)", () => {
    const e = errorOf(
      doc({
        routes: [{ name: "r", paths: ["/"], service: "missing" }],
        plugins: [{ name: "cors", consumer: "ghost" }],
        targets: [{ target: "a.test", upstream: "nowhere" }],
      }),
    );
    expect(e.fields.routes).toEqual({
      r: ["invalid reference 'service: missing' (no such entry in 'services')"],
    });
    // a plugin has no name to key by: Kong uses the id it generated from its cache key
    expect(e.fields.plugins).toEqual({
      [entityId("plugins", "plugins:cors:::ghost")]: [
        "invalid reference 'consumer: ghost' (no such entry in 'consumers')",
      ],
    });
    expect(e.fields.targets).toEqual({
      "a.test": ["invalid reference 'upstream: nowhere' (no such entry in 'upstreams')"],
    });
  });

  it.each([
    [
      {
        services: [
          { name: "s", host: "a.test" },
          { name: "s", host: "b.test" },
        ],
      },
      { services: [null, "uniqueness violation: 'services' entity with name set to 's' already declared"] },
    ],
    [
      { consumers: [{ username: "u" }, { username: "u" }] },
      {
        consumers: [
          null,
          "uniqueness violation: 'consumers' entity with username set to 'u' already declared",
        ],
      },
    ],
    [
      {
        consumers: [
          { username: "a", keyauth_credentials: [{ key: "TestKey123" }] },
          { username: "b", keyauth_credentials: [{ key: "TestKey123" }] },
        ],
      },
      {
        consumers: [
          null,
          {
            keyauth_credentials: [
              "uniqueness violation: 'keyauth_credentials' entity with key set to 'TestKey123' already declared",
            ],
          },
        ],
      },
    ],
    [
      {
        services: [
          { id: "11111111-1111-4111-8111-111111111111", host: "a.test" },
          { id: "11111111-1111-4111-8111-111111111111", host: "b.test" },
        ],
      },
      {
        services: [
          null,
          "uniqueness violation: 'services' entity with primary key set to '11111111-1111-4111-8111-111111111111' already declared",
        ],
      },
    ],
  ])("%j → %j", (rest, fields) => {
    expect(errorOf(doc(rest)).fields).toEqual(fields);
  });

  it("the same plugin twice on the same scope is rejected", () => {
    const e = errorOf(
      doc({
        services: [{ name: "s", host: "a.test", plugins: [{ name: "cors" }] }],
        plugins: [{ name: "cors", service: "s" }],
      }),
    );
    expect(JSON.stringify(e.fields)).toMatch(
      /uniqueness violation: 'plugins' entity with primary key set to '[0-9a-f-]+' already declared/,
    );
  });

  it("the same plugin on different scopes is fine", () => {
    const r = parseDeclarativeConfig(
      doc({
        services: [{ name: "s", host: "a.test", plugins: [{ name: "cors" }] }],
        plugins: [{ name: "cors" }],
      }),
      { plugins: fakeLookup },
    );
    expect(r.ok).toBe(true);
  });
});

describe("plugin entries", () => {
  it("an unknown plugin uses Kong's message", () => {
    expect(errorOf(doc({ plugins: [{ name: "nope" }] })).fields).toEqual({
      plugins: [{ name: "plugin 'nope' not enabled; add it to the 'plugins' configuration property" }],
    });
  });

  it("config errors are nested under config, like Kong's", () => {
    expect(
      errorOf(
        doc({
          plugins: [
            { name: "rate-limiting", config: { minute: -1, key_names: [1], extra: 1, redis: { port: 1 } } },
          ],
        }),
      ).fields,
    ).toEqual({
      plugins: [
        {
          config: {
            minute: "value must be at least 0",
            key_names: ["expected a string"],
            extra: "unknown field",
            redis: { port: "unknown field" },
          },
        },
      ],
    });
  });

  it("config must be a record", () => {
    expect(errorOf(doc({ plugins: [{ name: "cors", config: [] }] })).fields).toEqual({
      plugins: [{ config: "expected a record" }],
    });
  });

  it("forbidden scopes (key-auth on a consumer)", () => {
    expect(errorOf(doc({ consumers: [{ username: "u", plugins: [{ name: "key-auth" }] }] })).fields).toEqual({
      consumers: [{ plugins: [{ consumer: "value must be null" }] }],
    });
  });
});

describe("flattened_errors", () => {
  it("one record per invalid entity, nested children hoisted, fields dotted", () => {
    const e = errorOf(
      doc({
        services: [
          {
            name: "matthew",
            id: "d2e33f63-1424-408f-be55-d9d16cd2a382",
            url: "http://127.0.0.1:80/",
            tags: ["t"],
            routes: [{ name: "joshua", protocols: ["nope"] }],
            plugins: [{ name: "i-am-not-a-real-plugin" }, { name: "cors", config: { minute: "x" } }],
          },
        ],
      }),
    );
    // Kong does not promise an order between entity kinds
    expect(e.flattened_errors).toHaveLength(3);
    expect(e.flattened_errors).toEqual(
      expect.arrayContaining([
        {
          entity_type: "plugin",
          entity_name: "i-am-not-a-real-plugin",
          entity: { name: "i-am-not-a-real-plugin", service: { id: "d2e33f63-1424-408f-be55-d9d16cd2a382" } },
          errors: [
            {
              type: "field",
              field: "name",
              message:
                "plugin 'i-am-not-a-real-plugin' not enabled; add it to the 'plugins' configuration property",
            },
          ],
        },
        {
          entity_type: "plugin",
          entity_name: "cors",
          entity: {
            name: "cors",
            config: { minute: "x" },
            service: { id: "d2e33f63-1424-408f-be55-d9d16cd2a382" },
          },
          errors: [{ type: "field", field: "config.minute", message: "expected a number" }],
        },
        {
          entity_type: "route",
          entity_name: "joshua",
          entity: {
            name: "joshua",
            protocols: ["nope"],
            service: { id: "d2e33f63-1424-408f-be55-d9d16cd2a382" },
          },
          errors: [
            {
              type: "field",
              field: "protocols.1",
              message: "expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp",
            },
          ],
        },
      ]),
    );
  });
});
