/** The consumers and plugins pages' form logic: credential kinds from the entity schemas, their secret fields, global plugins. */
import { describe, expect, it } from "vitest";
import { credentialKinds, isGlobalPlugin, isSecretField, secretFieldsOf } from "../../gui/src/credentials.js";
import { changedBody, controlFor, initialRaw } from "../../gui/src/forms/schema.js";
import type { JsonSchema } from "../../gui/src/types.js";
import { REDACTED as SERVER_REDACTED } from "../../src/gateway/admin/redact.js";
import { redactAnswer } from "../../src/gateway/gui/admin-proxy.js";
import { entitySchemas } from "../../src/gateway/gui/entity-schemas.js";

const schemas = entitySchemas() as Record<string, JsonSchema>;

describe("credentialKinds", () => {
  it("lists every credential collection the server's entity schemas have, by Admin API segment", () => {
    expect(credentialKinds(schemas).map((k) => [k.segment, k.kind])).toEqual([
      ["key-auth", "keyauth_credentials"],
      ["basic-auth", "basicauth_credentials"],
      ["jwt", "jwt_secrets"],
      ["hmac-auth", "hmacauth_credentials"],
      ["acls", "acls"],
      ["oauth2", "oauth2_credentials"],
    ]);
  });

  it("leaves out a kind the schemas do not list", () => {
    const { oauth2_credentials: _left, ...fewer } = schemas;
    expect(credentialKinds(fewer).map((k) => k.segment)).not.toContain("oauth2");
    expect(credentialKinds(fewer)).toHaveLength(5);
  });

  it("a key-auth credential's form: key, ttl and tags; a typed key is sent, an empty form sends nothing", () => {
    const schema = schemas.keyauth_credentials!;
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(["key", "ttl", "tags"]));
    expect(controlFor(schema.properties!.key!)).toEqual({ kind: "text", number: false });
    const initial = initialRaw(schema, {});
    expect(changedBody(schema, initial, initial, false)).toEqual({}); // the Admin API generates the key
    expect(changedBody(schema, { ...initial, key: "k-1", ttl: "60" }, initial, false)).toEqual({
      key: "k-1",
      ttl: 60,
    });
  });
});

describe("secret fields", () => {
  it("names the secret fields whose inputs hide what is typed", () => {
    expect(["key", "password", "secret", "client_secret"].every(isSecretField)).toBe(true);
    expect(isSecretField("username")).toBe(false);
  });

  it("each credential kind's secret fields, all of them redacted by the manager's server in an answer", () => {
    const fields = Object.fromEntries(
      credentialKinds(schemas).map((k) => [k.segment, secretFieldsOf(schemas[k.kind])]),
    );
    expect(fields).toEqual({
      "key-auth": ["key"],
      "basic-auth": ["password"],
      jwt: ["key", "secret"],
      "hmac-auth": ["secret"],
      acls: [],
      oauth2: ["client_secret"],
    });
    expect(secretFieldsOf(undefined)).toEqual([]);
    const answer = {
      id: "1",
      consumer: { id: "c" },
      key: "k",
      secret: "s",
      password: "p",
      client_secret: "cs",
    };
    const redacted = redactAnswer(answer) as Record<string, unknown>;
    for (const f of Object.values(fields).flat()) expect(redacted[f], f).toBe(SERVER_REDACTED);
  });
});

describe("isGlobalPlugin", () => {
  it("is a plugin on no service, route or consumer", () => {
    expect(isGlobalPlugin({ id: "1", name: "cors", service: null, route: null, consumer: null })).toBe(true);
    expect(isGlobalPlugin({ id: "2", name: "cors" })).toBe(true);
    expect(isGlobalPlugin({ id: "3", name: "cors", service: { id: "s" }, route: null, consumer: null })).toBe(
      false,
    );
    expect(isGlobalPlugin({ id: "4", name: "cors", route: { id: "r" } })).toBe(false);
    expect(isGlobalPlugin({ id: "5", name: "cors", consumer: { id: "c" } })).toBe(false);
  });
});
