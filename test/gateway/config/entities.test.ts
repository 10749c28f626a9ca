/**
 * The entity registry (src/gateway/config/entities/): one file per kind, every relation pointing at
 * a registered kind, and the relations as Kong declares them — on_delete, required foreign keys,
 * endpoint keys, cache keys and unique fields re-expressed from kong/db/schema/entities/*.lua and
 * the credential plugins' daos.lua (key-auth, jwt, basic-auth, acl).
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dependantsOf } from "../../../src/gateway/admin/db-writes.js";
import {
  CONFIG_KINDS,
  ENTITIES,
  type EntityDefinition,
  KIND_NAMES,
  KINDS,
  type KindName,
  NESTED_CHILDREN,
  referencesTo,
} from "../../../src/gateway/config/entities/index.js";
import { entityId } from "../../../src/gateway/config/ids.js";
import { loadConfig } from "../support/config.js";

const ENTITIES_DIR = fileURLToPath(new URL("../../../src/gateway/config/entities/", import.meta.url));
/** Files of the folder that are not entity kinds. */
const NOT_KINDS = new Set(["entity.ts", "index.ts"]);

/**
 * Kong's declarations (the Kong 3.x sources named above). `onDelete` undefined: Kong's schema leaves
 * it unset (routes.service), and the database refuses the delete while a reference exists.
 */
const KONG: Record<
  KindName,
  {
    endpointKey?: string;
    cacheKey?: readonly string[];
    unique: readonly string[];
    foreign: Record<string, { reference: KindName; required: boolean; onDelete?: string }>;
  }
> = {
  services: { endpointKey: "name", unique: ["name"], foreign: {} },
  routes: {
    endpointKey: "name",
    unique: ["name"],
    foreign: { service: { reference: "services", required: false } },
  },
  upstreams: { endpointKey: "name", unique: ["name"], foreign: {} },
  targets: {
    endpointKey: "target",
    cacheKey: ["upstream", "target"],
    unique: [],
    foreign: { upstream: { reference: "upstreams", required: true, onDelete: "cascade" } },
  },
  consumers: { endpointKey: "username", unique: ["username", "custom_id"], foreign: {} },
  plugins: {
    endpointKey: "instance_name",
    cacheKey: ["name", "route", "service", "consumer"],
    unique: ["instance_name"],
    foreign: {
      route: { reference: "routes", required: false, onDelete: "cascade" },
      service: { reference: "services", required: false, onDelete: "cascade" },
      consumer: { reference: "consumers", required: false, onDelete: "cascade" },
    },
  },
  keyauth_credentials: {
    endpointKey: "key",
    cacheKey: ["key"],
    unique: ["key"],
    foreign: { consumer: { reference: "consumers", required: true, onDelete: "cascade" } },
  },
  jwt_secrets: {
    endpointKey: "key",
    cacheKey: ["key"],
    unique: ["key"],
    foreign: { consumer: { reference: "consumers", required: true, onDelete: "cascade" } },
  },
  basicauth_credentials: {
    endpointKey: "username",
    cacheKey: ["username"],
    unique: ["username"],
    foreign: { consumer: { reference: "consumers", required: true, onDelete: "cascade" } },
  },
  hmacauth_credentials: {
    endpointKey: "username",
    cacheKey: ["username"],
    unique: ["username"],
    foreign: { consumer: { reference: "consumers", required: true, onDelete: "cascade" } },
  },
  oauth2_credentials: {
    endpointKey: "client_id",
    cacheKey: ["client_id"],
    unique: ["client_id"],
    foreign: { consumer: { reference: "consumers", required: true, onDelete: "cascade" } },
  },
  // Kong's codes have no endpoint key (no Admin API of their own); here they are found by `code`
  oauth2_authorization_codes: {
    endpointKey: "code",
    unique: ["code"],
    foreign: {
      service: { reference: "services", required: false, onDelete: "cascade" },
      credential: { reference: "oauth2_credentials", required: true, onDelete: "cascade" },
      plugin: { reference: "plugins", required: false, onDelete: "cascade" },
    },
  },
  oauth2_tokens: {
    endpointKey: "access_token",
    cacheKey: ["access_token"],
    unique: ["access_token", "refresh_token"],
    foreign: {
      service: { reference: "services", required: false, onDelete: "cascade" },
      credential: { reference: "oauth2_credentials", required: true, onDelete: "cascade" },
    },
  },
  acls: {
    cacheKey: ["consumer", "group"],
    unique: [],
    foreign: { consumer: { reference: "consumers", required: true, onDelete: "cascade" } },
  },
};

describe("entity registry: one entity, one file", () => {
  it("every kind has its file, exporting its definition under its name, and every file is a kind", async () => {
    const files = readdirSync(ENTITIES_DIR).filter((f) => f.endsWith(".ts") && !NOT_KINDS.has(f));
    expect(files.map((f) => f.replace(/\.ts$/, "")).sort()).toEqual([...KIND_NAMES].sort());
    for (const kind of KIND_NAMES) {
      const mod = (await import(`${ENTITIES_DIR}${kind}.ts`)) as Record<string, EntityDefinition>;
      expect(mod[kind], kind).toBe(ENTITIES[kind]);
      expect(ENTITIES[kind].name).toBe(kind);
    }
  });

  it("every foreign key points at a registered kind and is a field of the entity's schema", () => {
    for (const kind of KIND_NAMES) {
      for (const [field, fk] of Object.entries(ENTITIES[kind].foreignKeys)) {
        expect(KIND_NAMES, `${kind}.${field}`).toContain(fk.reference);
        expect(Object.keys(ENTITIES[kind].schema.fields), `${kind}.${field}`).toContain(field);
      }
    }
  });

  it("foreign keys, their required flag and on_delete are Kong's", () => {
    for (const kind of KIND_NAMES) {
      const ours = Object.fromEntries(
        Object.entries(ENTITIES[kind].foreignKeys).map(([field, fk]) => [
          field,
          {
            reference: fk.reference,
            required: fk.required,
            ...(fk.onDelete === undefined ? {} : { onDelete: fk.onDelete }),
          },
        ]),
      );
      expect(ours, kind).toEqual(KONG[kind].foreign);
    }
  });

  it("unique fields are Kong's", () => {
    for (const kind of KIND_NAMES) expect([...ENTITIES[kind].unique], kind).toEqual(KONG[kind].unique);
  });

  it("endpoint keys are Kong's, except plugins (addressed by id only: instance_name is not an endpoint key here)", () => {
    for (const kind of KIND_NAMES) {
      const expected = kind === "plugins" ? undefined : KONG[kind].endpointKey;
      expect(ENTITIES[kind].endpointKey, kind).toBe(expected);
    }
    // an endpoint key is unique across the document exactly when Kong declares it unique
    for (const kind of KIND_NAMES) {
      const def = ENTITIES[kind];
      if (def.endpointKey === undefined) expect(def.endpointKeyUnique, kind).toBe(false);
      else expect(def.endpointKeyUnique, kind).toBe(KONG[kind].unique.includes(def.endpointKey));
    }
  });

  it("a declared cache key is Kong's; kinds without one have a unique endpoint key instead", () => {
    for (const kind of KIND_NAMES) {
      const def = ENTITIES[kind];
      if (def.cacheKey !== undefined) expect([...def.cacheKey], kind).toEqual(KONG[kind].cacheKey);
      else expect(def.endpointKeyUnique, kind).toBe(true);
    }
  });
});

describe("relations derived from the entity files", () => {
  it("nesting in the declarative format: a child nests in the collection its foreign key references", () => {
    expect(NESTED_CHILDREN).toEqual({
      services: { routes: "service", plugins: "service" },
      routes: { plugins: "route" },
      upstreams: { targets: "upstream" },
      targets: {},
      consumers: {
        plugins: "consumer",
        keyauth_credentials: "consumer",
        jwt_secrets: "consumer",
        basicauth_credentials: "consumer",
        hmacauth_credentials: "consumer",
        oauth2_credentials: "consumer",
        acls: "consumer",
      },
      plugins: {},
      keyauth_credentials: {},
      jwt_secrets: {},
      basicauth_credentials: {},
      hmacauth_credentials: {},
      oauth2_credentials: {},
      oauth2_authorization_codes: {},
      oauth2_tokens: {},
      acls: {},
    });
  });

  it("KINDS: foreign key → collection and the required ones, per kind", () => {
    expect(KINDS.plugins.foreign).toEqual({ route: "routes", service: "services", consumer: "consumers" });
    expect(KINDS.plugins.requiredForeign).toEqual([]);
    expect(KINDS.targets.requiredForeign).toEqual(["upstream"]);
    expect(KINDS.acls.requiredForeign).toEqual(["consumer"]);
    expect(KINDS.routes.requiredForeign).toEqual([]);
  });

  it("deleting a service is refused while a route references it and takes its plugins along", () => {
    expect(dependantsOf("services")).toEqual([
      { kind: "routes", field: "service", onDelete: "restrict" },
      { kind: "plugins", field: "service", onDelete: "cascade" },
      { kind: "oauth2_authorization_codes", field: "service", onDelete: "cascade" },
      { kind: "oauth2_tokens", field: "service", onDelete: "cascade" },
    ]);
    expect(dependantsOf("routes")).toEqual([{ kind: "plugins", field: "route", onDelete: "cascade" }]);
    expect(dependantsOf("upstreams")).toEqual([{ kind: "targets", field: "upstream", onDelete: "cascade" }]);
  });

  it("deleting a consumer cascades to its plugins and every credential", () => {
    expect(dependantsOf("consumers").map((d) => [d.kind, d.onDelete])).toEqual([
      ["plugins", "cascade"],
      ["keyauth_credentials", "cascade"],
      ["jwt_secrets", "cascade"],
      ["basicauth_credentials", "cascade"],
      ["hmacauth_credentials", "cascade"],
      ["oauth2_credentials", "cascade"],
      ["acls", "cascade"],
    ]);
  });

  it("an oauth2 application takes its tokens and codes along; a plugin its codes", () => {
    expect(dependantsOf("oauth2_credentials")).toEqual([
      { kind: "oauth2_authorization_codes", field: "credential", onDelete: "cascade" },
      { kind: "oauth2_tokens", field: "credential", onDelete: "cascade" },
    ]);
    expect(dependantsOf("plugins")).toEqual([
      { kind: "oauth2_authorization_codes", field: "plugin", onDelete: "cascade" },
    ]);
  });

  it("nothing references the leaf kinds", () => {
    for (const kind of [
      "targets",
      "keyauth_credentials",
      "jwt_secrets",
      "hmacauth_credentials",
      "oauth2_authorization_codes",
      "oauth2_tokens",
      "acls",
    ] as const)
      expect(referencesTo(kind), kind).toEqual([]);
  });
});

describe("assembly through the entity files", () => {
  it("a loaded configuration holds one collection per kind, in CONFIG_KINDS order", () => {
    expect([...CONFIG_KINDS].sort()).toEqual([...KIND_NAMES].sort());
    const config = loadConfig({ _format_version: "3.0" });
    expect(Object.keys(config)).toEqual(["format_version", ...CONFIG_KINDS, "hash"]);
  });

  it("each kind's entity comes out as its file assembles it, foreign keys as ids", () => {
    const config = loadConfig({
      _format_version: "3.0",
      services: [
        {
          name: "s",
          url: "http://app:8080",
          routes: [{ name: "r", paths: ["/"], headers: { "X-A": ["1"], "x-a": ["2"] } }],
        },
      ],
      upstreams: [{ name: "app", targets: [{ target: "10.0.0.1" }] }],
      consumers: [
        {
          username: "u",
          keyauth_credentials: [{ key: "k" }],
          jwt_secrets: [{ key: "iss", secret: "shh" }],
          basicauth_credentials: [{ username: "bu", password: "pw" }],
          acls: [{ group: "g" }],
        },
      ],
      plugins: [{ name: "cors", route: "r", consumer: "u" }],
    });
    const [service] = config.services;
    const [route] = config.routes;
    const [consumer] = config.consumers;
    expect(route).toMatchObject({ service: service!.id, headers: { "x-a": ["1", "2"] } });
    expect(config.targets[0]).toMatchObject({ upstream: config.upstreams[0]!.id, target: "10.0.0.1:8000" });
    expect(config.plugins[0]).toMatchObject({
      route: route!.id,
      service: null,
      consumer: consumer!.id,
      protocols: ["grpc", "grpcs", "http", "https"],
    });
    expect(Object.isFrozen(config.plugins[0]!.protocols)).toBe(true);
    for (const kind of ["keyauth_credentials", "jwt_secrets", "basicauth_credentials", "acls"] as const)
      expect(config[kind][0]!.consumer, kind).toBe(consumer!.id);
    expect(Object.keys(config.keyauth_credentials[0]!)).toEqual(["id", "consumer", "tags", "key", "ttl"]);
  });

  it("deterministic ids: targets by target and upstream, plugins and acls by cache key, the rest by endpoint key", () => {
    const config = loadConfig({
      _format_version: "3.0",
      upstreams: [{ name: "app", targets: [{ target: "10.0.0.1" }] }],
      services: [{ name: "s", url: "http://app", routes: [{ name: "r", paths: ["/"] }] }],
      consumers: [{ username: "u", acls: [{ group: "g" }] }],
      plugins: [{ name: "cors", route: "r" }],
    });
    const upstream = config.upstreams[0]!.id;
    expect(upstream).toBe(entityId("upstreams", "app"));
    expect(config.routes[0]!.id).toBe(entityId("routes", "r"));
    expect(config.targets[0]!.id).toBe(entityId("targets", `10.0.0.1:${upstream}`));
    expect(config.plugins[0]!.id).toBe(entityId("plugins", `plugins:cors:${config.routes[0]!.id}::`));
    expect(config.acls[0]!.id).toBe(entityId("acls", `acls:${config.consumers[0]!.id}:g`));
  });

  it("Kong-generated values: a key-auth key and a jwt key and secret left out are filled in", () => {
    const config = loadConfig({
      _format_version: "3.0",
      consumers: [{ username: "u", keyauth_credentials: [{}], jwt_secrets: [{}] }],
    });
    expect(config.keyauth_credentials[0]!.key).toMatch(/^[0-9a-f]{32}$/);
    expect(config.jwt_secrets[0]!.key).toMatch(/^[0-9a-f]{32}$/);
    expect(config.jwt_secrets[0]!.secret).toMatch(/^[0-9a-f]{32}$/);
  });

  it("pre-3.0 documents: route paths migrated by the routes file (regex paths gain ~)", () => {
    const config = loadConfig({
      _format_version: "2.1",
      services: [{ name: "s", url: "http://app", routes: [{ name: "r", paths: ["/plain", "/v\\d+"] }] }],
    });
    expect(config.routes[0]!.paths).toEqual(["/plain", "~/v\\d+"]);
  });
});
