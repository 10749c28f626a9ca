/**
 * jwt through the running gateway against a real upstream (Kong's
 * spec/03-plugins/16-jwt/03-access_spec.lua re-expressed): token sources, Kong's 401
 * bodies, claims, HS/RS/ES algorithms, `alg: none` and algorithm confusion.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { kongDoc, send } from "./_support.js";

const HS_SECRET = "super-secret-hs256-value";
const B64_SECRET_RAW = "raw secret bytes for base64";
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const RSA_PEM = rsa.publicKey.export({ type: "spki", format: "pem" }).toString();
const EC_PEM = ec.publicKey.export({ type: "spki", format: "pem" }).toString();
const ec384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
const EC384_PEM = ec384.publicKey.export({ type: "spki", format: "pem" }).toString();

const now = () => Math.floor(Date.now() / 1000);

async function sign(
  claims: Record<string, unknown>,
  alg: string,
  key: KeyObject | Uint8Array,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT", ...header }).sign(key);
}
const hs = (claims: Record<string, unknown>, alg = "HS256", secret = HS_SECRET) =>
  sign(claims, alg, new TextEncoder().encode(secret));

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

let upstream: EchoUpstream;
let gw: Gateway;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  upstream = await startEchoUpstream();
  gw = await startTestGateway(
    kongDoc(
      upstream.url,
      [
        { name: "plain", paths: ["/plain"], plugins: [{ name: "jwt" }] },
        {
          name: "claims",
          paths: ["/claims"],
          plugins: [{ name: "jwt", config: { claims_to_verify: ["exp", "nbf"] } }],
        },
        {
          name: "max",
          paths: ["/max"],
          plugins: [{ name: "jwt", config: { claims_to_verify: ["exp"], maximum_expiration: 60 } }],
        },
        {
          name: "sources",
          paths: ["/sources"],
          plugins: [
            {
              name: "jwt",
              config: { cookie_names: ["session"], header_names: ["x-token"], uri_param_names: ["token"] },
            },
          ],
        },
        { name: "kid", paths: ["/kid"], plugins: [{ name: "jwt", config: { key_claim_name: "kid" } }] },
        { name: "b64", paths: ["/b64"], plugins: [{ name: "jwt", config: { secret_is_base64: true } }] },
        { name: "anon", paths: ["/anon"], plugins: [{ name: "jwt", config: { anonymous: "guest" } }] },
        {
          name: "realm",
          paths: ["/realm"],
          plugins: [{ name: "jwt", config: { realm: "api", run_on_preflight: false } }],
        },
      ],
      {
        consumers: [
          {
            username: "hs-user",
            custom_id: "hs-custom",
            jwt_secrets: [
              { key: "hs-key", secret: HS_SECRET },
              { key: "hs512-key", secret: HS_SECRET, algorithm: "HS512" },
              { key: "b64-key", secret: Buffer.from(B64_SECRET_RAW).toString("base64") },
            ],
          },
          {
            username: "rs-user",
            jwt_secrets: [{ key: "rs-key", algorithm: "RS256", rsa_public_key: RSA_PEM }],
          },
          {
            username: "es-user",
            jwt_secrets: [{ key: "es-key", algorithm: "ES256", rsa_public_key: EC_PEM }],
          },
          {
            username: "more-algs",
            jwt_secrets: [
              { key: "es384-key", algorithm: "ES384", rsa_public_key: EC384_PEM },
              { key: "ps256-key", algorithm: "PS256", rsa_public_key: RSA_PEM },
              { key: "hs384-key", algorithm: "HS384", secret: HS_SECRET },
            ],
          },
          { username: "guest" },
        ],
      },
    ),
  );
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe("jwt: token retrieval", () => {
  it("answers 401 Unauthorized with WWW-Authenticate: Bearer without a token", async () => {
    const r = await send(gw.proxyUrl, "/plain");
    expect(r.status).toBe(401);
    expect(r.json()).toMatchObject({ message: "Unauthorized" });
    expect(r.headers["www-authenticate"]).toBe("Bearer");
  });

  it("answers with exactly {message} (Kong's kong.response.exit: no request_id), whatever Accept says", async () => {
    const none = await send(gw.proxyUrl, "/plain", { headers: { accept: "text/html" } });
    expect(none.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(none.json()).toEqual({ message: "Unauthorized" });
    const bad = await send(gw.proxyUrl, "/plain", { headers: bearer("not.a.token") });
    expect(bad.json()).toEqual({ message: "Bad token; invalid JSON" });
  });

  it("accepts a valid HS256 token in Authorization and identifies the consumer", async () => {
    const r = await send(gw.proxyUrl, "/plain", { headers: bearer(await hs({ iss: "hs-key" })) });
    expect(r.status).toBe(200);
    const seen = r.upstream().headers;
    expect(seen["x-consumer-username"]).toBe("hs-user");
    expect(seen["x-consumer-custom-id"]).toBe("hs-custom");
    expect(seen["x-credential-identifier"]).toBe("hs-key");
    expect(seen["x-consumer-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("accepts the token in the ?jwt= query parameter", async () => {
    const r = await send(gw.proxyUrl, `/plain?jwt=${await hs({ iss: "hs-key" })}`);
    expect(r.status).toBe(200);
  });

  it("reads configured cookies, headers and query parameters", async () => {
    const token = await hs({ iss: "hs-key" });
    expect(
      (await send(gw.proxyUrl, "/sources", { headers: { cookie: `a=b; session=${token}` } })).status,
    ).toBe(200);
    expect((await send(gw.proxyUrl, "/sources", { headers: { "x-token": `bearer ${token}` } })).status).toBe(
      200,
    );
    expect((await send(gw.proxyUrl, `/sources?token=${token}`)).status).toBe(200);
    expect((await send(gw.proxyUrl, "/sources", { headers: bearer(token) })).status).toBe(401);
  });

  it("answers 'Multiple tokens provided' for two different tokens, accepts the same one twice", async () => {
    const a = await hs({ iss: "hs-key" });
    const b = await hs({ iss: "hs-key", sub: "x" });
    const two = await send(gw.proxyUrl, `/plain?jwt=${a}`, { headers: bearer(b) });
    expect(two.status).toBe(401);
    expect(two.json().message).toBe("Multiple tokens provided");
    expect(two.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
    const same = await send(gw.proxyUrl, `/plain?jwt=${a}`, { headers: bearer(a) });
    expect(same.status).toBe(200);
  });
});

describe("jwt: bad tokens and credentials", () => {
  it("rejects malformed tokens with Kong's 'Bad token; …' messages", async () => {
    const notJson = await send(gw.proxyUrl, "/plain", { headers: bearer("abc.def") });
    expect(notJson.json().message).toBe("Bad token; invalid JSON");
    const badB64 = await send(gw.proxyUrl, "/plain", { headers: bearer("a$b.c.d") });
    expect(badB64.json().message).toBe("Bad token; invalid JSON");
    const badSig = await send(gw.proxyUrl, "/plain", {
      headers: bearer(`${b64url({ alg: "HS256" })}.${b64url({ iss: "hs-key" })}.a.b`),
    });
    expect(badSig.json().message).toBe("Bad token; invalid signature");
  });

  it("refuses alg none", async () => {
    const token = `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ iss: "hs-key" })}.`;
    const r = await send(gw.proxyUrl, "/plain", { headers: bearer(token) });
    expect(r.status).toBe(401);
    expect(r.json().message).toBe("Bad token; invalid alg");
  });

  it("requires the key claim and a matching credential", async () => {
    const noIss = await send(gw.proxyUrl, "/plain", { headers: bearer(await hs({ sub: "x" })) });
    expect(noIss.json().message).toBe("No mandatory 'iss' in claims");
    const emptyIss = await send(gw.proxyUrl, "/plain", { headers: bearer(await hs({ iss: "" })) });
    expect(emptyIss.json().message).toBe("Invalid 'iss' in claims");
    const unknown = await send(gw.proxyUrl, "/plain", { headers: bearer(await hs({ iss: "who" })) });
    expect(unknown.status).toBe(401);
    expect(unknown.json().message).toBe("No credentials found for given 'iss'");
  });

  it("answers 'Invalid signature' for a token signed with another secret", async () => {
    const r = await send(gw.proxyUrl, "/plain", {
      headers: bearer(await hs({ iss: "hs-key" }, "HS256", "wrong")),
    });
    expect(r.status).toBe(401);
    expect(r.json().message).toBe("Invalid signature");
    expect(r.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
  });

  it("answers 'Invalid algorithm' when the token's alg differs from the credential's", async () => {
    const r = await send(gw.proxyUrl, "/plain", { headers: bearer(await hs({ iss: "hs512-key" }, "HS256")) });
    expect(r.json().message).toBe("Invalid algorithm");
    const ok = await send(gw.proxyUrl, "/plain", {
      headers: bearer(await hs({ iss: "hs512-key" }, "HS512")),
    });
    expect(ok.status).toBe(200);
  });

  it("refuses algorithm confusion: an HS256 token signed with the RS256 public key", async () => {
    const forged = await hs({ iss: "rs-key" }, "HS256", RSA_PEM);
    const r = await send(gw.proxyUrl, "/plain", { headers: bearer(forged) });
    expect(r.status).toBe(401);
    expect(r.json().message).toBe("Invalid algorithm");
  });

  it("verifies RS256 and ES256 tokens with the credential's public key", async () => {
    const rs = await sign({ iss: "rs-key" }, "RS256", rsa.privateKey);
    const r1 = await send(gw.proxyUrl, "/plain", { headers: bearer(rs) });
    expect(r1.status).toBe(200);
    expect(r1.upstream().headers["x-consumer-username"]).toBe("rs-user");
    const es = await sign({ iss: "es-key" }, "ES256", ec.privateKey);
    const r2 = await send(gw.proxyUrl, "/plain", { headers: bearer(es) });
    expect(r2.status).toBe(200);
    expect(r2.upstream().headers["x-consumer-username"]).toBe("es-user");
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const wrong = await sign({ iss: "rs-key" }, "RS256", other.privateKey);
    expect((await send(gw.proxyUrl, "/plain", { headers: bearer(wrong) })).json().message).toBe(
      "Invalid signature",
    );
  });

  it("verifies ES384, PS256 and HS384 tokens", async () => {
    const tokens = [
      await sign({ iss: "es384-key" }, "ES384", ec384.privateKey),
      await sign({ iss: "ps256-key" }, "PS256", rsa.privateKey),
      await hs({ iss: "hs384-key" }, "HS384"),
    ];
    for (const token of tokens) {
      const r = await send(gw.proxyUrl, "/plain", { headers: bearer(token) });
      expect(r.status).toBe(200);
      expect(r.upstream().headers["x-consumer-username"]).toBe("more-algs");
    }
    const rsAsPs = await sign({ iss: "ps256-key" }, "RS256", rsa.privateKey);
    expect((await send(gw.proxyUrl, "/plain", { headers: bearer(rsAsPs) })).json().message).toBe(
      "Invalid algorithm",
    );
  });

  it("decodes base64 secrets when secret_is_base64 is set", async () => {
    const token = await hs({ iss: "b64-key" }, "HS256", B64_SECRET_RAW);
    expect((await send(gw.proxyUrl, "/b64", { headers: bearer(token) })).status).toBe(200);
    expect((await send(gw.proxyUrl, "/plain", { headers: bearer(token) })).status).toBe(401);
  });

  it("reads the key claim from the JOSE header when configured (kid)", async () => {
    const token = await hs({ sub: "x" }, "HS256");
    const withKid = await sign({ sub: "x" }, "HS256", new TextEncoder().encode(HS_SECRET), { kid: "hs-key" });
    expect((await send(gw.proxyUrl, "/kid", { headers: bearer(withKid) })).status).toBe(200);
    expect((await send(gw.proxyUrl, "/kid", { headers: bearer(token) })).json().message).toBe(
      "No mandatory 'kid' in claims",
    );
  });
});

describe("jwt: registered claims", () => {
  it('answers {"exp":"token expired"} for an expired token', async () => {
    const token = await hs({ iss: "hs-key", exp: now() - 10, nbf: now() - 20 });
    const r = await send(gw.proxyUrl, "/claims", { headers: bearer(token) });
    expect(r.status).toBe(401);
    expect(r.json()).toEqual({ exp: "token expired" });
    expect(r.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
    const missingNbf = await hs({ iss: "hs-key", exp: now() + 100 });
    expect((await send(gw.proxyUrl, "/claims", { headers: bearer(missingNbf) })).json()).toEqual({
      nbf: "must be a number",
    });
  });

  it('answers {"nbf":"token not valid yet"} before nbf, and both errors together', async () => {
    const early = await hs({ iss: "hs-key", exp: now() + 100, nbf: now() + 100 });
    expect((await send(gw.proxyUrl, "/claims", { headers: bearer(early) })).json()).toEqual({
      nbf: "token not valid yet",
    });
    const both = await hs({ iss: "hs-key", exp: now() - 100, nbf: now() + 100 });
    expect((await send(gw.proxyUrl, "/claims", { headers: bearer(both) })).json()).toEqual({
      exp: "token expired",
      nbf: "token not valid yet",
    });
  });

  it("requires verified claims to be numbers", async () => {
    const r = await send(gw.proxyUrl, "/claims", {
      headers: bearer(await hs({ iss: "hs-key", exp: "soon" })),
    });
    expect(r.json()).toMatchObject({ exp: "must be a number" });
  });

  it("does not check exp unless asked", async () => {
    const r = await send(gw.proxyUrl, "/plain", {
      headers: bearer(await hs({ iss: "hs-key", exp: now() - 10 })),
    });
    expect(r.status).toBe(200);
  });

  it("enforces maximum_expiration", async () => {
    const far = await hs({ iss: "hs-key", exp: now() + 3600 });
    expect((await send(gw.proxyUrl, "/max", { headers: bearer(far) })).json()).toEqual({
      exp: "exceeds maximum allowed expiration",
    });
    const near = await hs({ iss: "hs-key", exp: now() + 30 });
    expect((await send(gw.proxyUrl, "/max", { headers: bearer(near) })).status).toBe(200);
  });

  it("rejects maximum_expiration without exp in claims_to_verify at load time", async () => {
    const bad = kongDoc(upstream.url, [
      { paths: ["/x"], plugins: [{ name: "jwt", config: { maximum_expiration: 10 } }] },
    ]);
    await expect(gw.apply(bad)).rejects.toThrow(/exp/);
  });
});

describe("jwt: anonymous, realm and preflight", () => {
  it("falls back to the anonymous consumer", async () => {
    const r = await send(gw.proxyUrl, "/anon", { headers: bearer("garbage") });
    expect(r.status).toBe(200);
    expect(r.upstream().headers["x-consumer-username"]).toBe("guest");
    expect(r.upstream().headers["x-anonymous-consumer"]).toBe("true");
  });

  it("sends the realm and skips OPTIONS when run_on_preflight is false", async () => {
    const r = await send(gw.proxyUrl, "/realm");
    expect(r.headers["www-authenticate"]).toBe('Bearer realm="api"');
    const bad = await send(gw.proxyUrl, "/realm", { headers: bearer("x.y") });
    expect(bad.headers["www-authenticate"]).toBe('Bearer realm="api", error="invalid_token"');
    expect((await send(gw.proxyUrl, "/realm", { method: "OPTIONS" })).status).toBe(200);
  });
});
