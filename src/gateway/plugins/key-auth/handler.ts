/**
 * key-auth (Kong 3.x): finds an API key in the configured header / query / body names,
 * looks it up in constant time and identifies the consumer; 401 with Kong's messages
 * otherwise.
 */
import type { GatewayConfig, GatewayConsumer, KeyAuthCredential } from "../../config/types.js";
import { type AuthFailure, challenge, runAuthentication, setConsumer } from "../_shared/auth-consumer.js";
import { SecretIndex } from "../_shared/constant-time.js";
import {
  bodyField,
  encodeBody,
  type ParsedBody,
  parseBody,
  removeBodyField,
  replaceUpstreamBody,
} from "../_shared/request-body.js";
import { firstHeader, headerKeys, headerValue } from "../_shared/request-headers.js";
import type { PluginEntry, PluginEnvironment, PluginHandler, RequestContext } from "../types.js";
import type { KeyAuthConfig } from "./schema.js";

interface KeyOwner {
  credential: KeyAuthCredential;
  consumer: GatewayConsumer;
}

const indexes = new WeakMap<GatewayConfig, SecretIndex<KeyOwner>>();

/** One digest-keyed index of all key-auth credentials per loaded configuration. */
function keyIndex(config: GatewayConfig): SecretIndex<KeyOwner> {
  let index = indexes.get(config);
  if (!index) {
    index = new SecretIndex<KeyOwner>();
    const consumers = new Map(config.consumers.map((c) => [c.id, c]));
    for (const credential of config.keyauth_credentials) {
      const consumer = consumers.get(credential.consumer);
      if (consumer) index.set(credential.key, { credential, consumer });
    }
    indexes.set(config, index);
  }
  return index;
}

/** A found value: a string key, a list (duplicate), or anything else (ignored). */
function queryValue(query: URLSearchParams, name: string): string | string[] | undefined {
  const all = query.getAll(name);
  return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
}

async function findKey(
  ctx: RequestContext,
  conf: KeyAuthConfig,
): Promise<{ key: string | null } | { duplicate: true }> {
  let body: ParsedBody | null | undefined;
  const readBody = async (): Promise<ParsedBody | null> => {
    if (body === undefined) {
      const contentType = firstHeader(ctx.request.headers["content-type"]);
      body = parseBody(contentType, await ctx.request.readBody());
    }
    return body;
  };
  for (const name of conf.key_names) {
    let value: unknown;
    if (conf.key_in_header) value = headerValue(ctx.request.headers, name);
    if (value === undefined && conf.key_in_query) value = queryValue(ctx.request.query, name);
    if (value === undefined && conf.key_in_body) {
      const parsed = await readBody();
      if (parsed) value = bodyField(parsed, name);
    }
    if (typeof value === "string") {
      if (conf.hide_credentials) {
        ctx.upstream.query.delete(name);
        for (const key of headerKeys(name)) delete ctx.upstream.headers[key];
        if (conf.key_in_body) {
          const parsed = await readBody();
          if (parsed) {
            removeBodyField(parsed, name);
            replaceUpstreamBody(ctx.upstream, encodeBody(parsed));
          }
        }
      }
      return { key: value };
    }
    if (Array.isArray(value)) {
      if (value.length === 1 && typeof value[0] === "string") return { key: value[0] };
      return { duplicate: true };
    }
  }
  return { key: null };
}

async function authenticate(
  ctx: RequestContext,
  conf: KeyAuthConfig,
  index: SecretIndex<KeyOwner>,
): Promise<AuthFailure | null> {
  const found = await findKey(ctx, conf);
  if ("duplicate" in found) return { status: 401, message: "Duplicate API key found" };
  const wwwAuthenticate = { "WWW-Authenticate": challenge("Key", conf.realm) };
  if (!found.key) return { status: 401, message: "No API key found in request", headers: wwwAuthenticate };
  const owner = index.get(found.key);
  if (!owner) return { status: 401, message: "Unauthorized", headers: wwwAuthenticate };
  setConsumer(ctx, owner.consumer, {
    id: owner.credential.id,
    consumer: owner.consumer.id,
    identifier: owner.credential.id,
  });
  return null;
}

export function createKeyAuthHandler(
  entry: PluginEntry<KeyAuthConfig>,
  env: PluginEnvironment,
): PluginHandler {
  const conf = entry.config;
  const index = keyIndex(env.config);
  return {
    access: (ctx) => runAuthentication(ctx, conf, env, () => authenticate(ctx, conf, index)),
  };
}
