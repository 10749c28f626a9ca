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

type FoundKey = { key: string | null } | { duplicate: true };

/** What a key lookup found under one name: a key, a duplicate, or nothing (look further). */
function judge(value: unknown): FoundKey | null {
  if (typeof value === "string") return { key: value };
  if (Array.isArray(value)) {
    if (value.length === 1 && typeof value[0] === "string") return { key: value[0] };
    return { duplicate: true };
  }
  return null;
}

function hideInHeadersAndQuery(ctx: RequestContext, name: string): void {
  ctx.upstream.query.delete(name);
  for (const key of headerKeys(name)) delete ctx.upstream.headers[key];
}

/** The key from headers and query only (`key_in_body` off): synchronous, the common case. */
/**
 * The key header's value: every header line of it (a repeated header is a duplicate key, as
 * Kong's get_headers() table; Node's `headers` would join the lines into one string).
 */
function keyHeader(ctx: RequestContext, name: string): string | string[] | undefined {
  const joined = headerValue(ctx.request.headers, name);
  if (joined === undefined) return undefined;
  // a value without a comma is one header line (Node joins repeated lines with ", "):
  // only then is the per-line view (built for every header) needed
  if (typeof joined === "string" && !joined.includes(",")) return joined;
  const lines = headerValue(ctx.request.headersDistinct, name);
  return lines === undefined || lines.length > 1 ? lines : lines[0];
}

function findKeyInHeadersOrQuery(ctx: RequestContext, conf: KeyAuthConfig): FoundKey {
  for (const name of conf.key_names) {
    let value: unknown;
    if (conf.key_in_header) value = keyHeader(ctx, name);
    if (value === undefined && conf.key_in_query) value = queryValue(ctx.request.query, name);
    const found = judge(value);
    if (found === null) continue;
    if (typeof value === "string" && conf.hide_credentials) hideInHeadersAndQuery(ctx, name);
    return found;
  }
  return { key: null };
}

/** The key from headers, query or body (`key_in_body` on): reads the body when needed. */
async function findKey(ctx: RequestContext, conf: KeyAuthConfig): Promise<FoundKey> {
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
    if (conf.key_in_header) value = keyHeader(ctx, name);
    if (value === undefined && conf.key_in_query) value = queryValue(ctx.request.query, name);
    if (value === undefined && conf.key_in_body) {
      const parsed = await readBody();
      if (parsed) value = bodyField(parsed, name);
    }
    const found = judge(value);
    if (found === null) continue;
    if (typeof value === "string" && conf.hide_credentials) {
      hideInHeadersAndQuery(ctx, name);
      if (conf.key_in_body) {
        const parsed = await readBody();
        if (parsed) {
          removeBodyField(parsed, name);
          replaceUpstreamBody(ctx.upstream, encodeBody(parsed));
        }
      }
    }
    return found;
  }
  return { key: null };
}

/** Identify the consumer owning the found key, or say why not (Kong's 401 messages). */
function authenticateKey(
  ctx: RequestContext,
  conf: KeyAuthConfig,
  index: SecretIndex<KeyOwner>,
  found: FoundKey,
): AuthFailure | null {
  if ("duplicate" in found) return { status: 401, message: "Duplicate API key found" };
  const owner = found.key ? index.get(found.key) : null;
  if (!owner) {
    const message = found.key ? "Unauthorized" : "No API key found in request";
    return { status: 401, message, headers: { "WWW-Authenticate": challenge("Key", conf.realm) } };
  }
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
    access: (ctx) =>
      runAuthentication(ctx, conf, env, () =>
        conf.key_in_body
          ? findKey(ctx, conf).then((found) => authenticateKey(ctx, conf, index, found))
          : authenticateKey(ctx, conf, index, findKeyInHeadersOrQuery(ctx, conf)),
      ),
  };
}
