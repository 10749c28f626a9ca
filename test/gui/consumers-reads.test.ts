/**
 * What the consumers and plugins pages read, against a real DB-less gateway's manager: every
 * credential collection the entity schemas list, and a consumer's plugins, answer under
 * `/admin-api/` (a 404 there would be an error in the page), with no secret the page could show.
 */
import { expect, it } from "vitest";
import { credentialKinds, isGlobalPlugin, secretFieldsOf } from "../../gui/src/credentials.js";
import type { Entity, JsonSchema } from "../../gui/src/types.js";
import { REDACTED } from "../../src/gateway/admin/redact.js";
import { jsonOf, login, managerGateway, SAMPLE, SECRETS } from "../gateway/gui/_support.js";
import { cleanupsAfterEach } from "../support/cleanups.js";

const cleanups = cleanupsAfterEach();

it("lists a consumer's credentials of every kind and its plugins; global plugins are told apart", async () => {
  const doc = {
    ...SAMPLE,
    plugins: [...SAMPLE.plugins, { name: "cors" }],
    consumers: [
      {
        ...SAMPLE.consumers[0],
        acls: [{ group: "admins" }],
        oauth2_credentials: [{ name: "app", client_secret: "alice-oauth2-client-secret" }],
        hmacauth_credentials: [{ username: "alice-hmac", secret: "alice-hmac-secret-value" }],
        plugins: [{ name: "request-size-limiting" }],
      },
    ],
  };
  const gw = await managerGateway(cleanups, doc);
  const { cookie } = await login(gw.guiUrl);
  const get = async (path: string): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${gw.guiUrl}/${path}`, { headers: { cookie } });
    return { status: res.status, text: await res.text() };
  };
  const schemas = (await jsonOf(
    fetch(`${gw.guiUrl}/gui-api/entity-schemas`, { headers: { cookie } }),
  )) as Record<string, JsonSchema>;
  const kinds = credentialKinds(schemas);
  expect(kinds).toHaveLength(6);
  for (const kind of kinds) {
    const res = await get(`admin-api/consumers/alice/${kind.segment}`);
    expect(res.status, kind.segment).toBe(200);
    const { data } = JSON.parse(res.text) as { data: Entity[] };
    expect(data, kind.segment).toHaveLength(1);
    for (const c of data) {
      for (const f of secretFieldsOf(schemas[kind.kind])) {
        if (c[f] !== undefined && c[f] !== null) expect(c[f], `${kind.segment} ${f}`).toBe(REDACTED);
      }
    }
    for (const secret of [...SECRETS, "alice-oauth2-client-secret", "alice-hmac-secret-value"]) {
      expect(res.text).not.toContain(secret);
    }
  }
  const own = await get("admin-api/consumers/alice/plugins");
  expect(own.status).toBe(200);
  expect((JSON.parse(own.text) as { data: Entity[] }).data.map((p) => p.name)).toEqual([
    "request-size-limiting",
  ]);

  const all = JSON.parse((await get("admin-api/plugins?size=1000")).text) as { data: Entity[] };
  expect(
    all.data
      .filter(isGlobalPlugin)
      .map((p) => p.name)
      .sort(),
  ).toEqual(["cors"]);
  expect(all.data.map((p) => p.name).sort()).toEqual([
    "correlation-id",
    "cors",
    "key-auth",
    "request-size-limiting",
  ]);
});
