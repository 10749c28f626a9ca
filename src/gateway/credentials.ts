import type { BasicAuthCredential, GatewayConfig, GatewayConsumer, OAuth2Token } from "./config/types.js";
import { hashBasicAuthPassword } from "./plugins/basic-auth/crypto.js";
import type { CredentialIndex } from "./plugins/types.js";
import type { RuntimeEntities } from "./store/records.js";

/** The credential index of a snapshot: its oauth2 tokens and codes can be replaced in place. */
export interface SnapshotCredentials extends CredentialIndex {
  /** index these tokens and codes instead (database mode: issued ones, no new snapshot) */
  reindexOAuth2(entities: RuntimeEntities): void;
}

function oauth2Maps(entities: RuntimeEntities) {
  const tokens = new Map(entities.oauth2_tokens.map((t) => [t.access_token, t]));
  const refreshTokens = new Map<string, OAuth2Token>();
  for (const t of entities.oauth2_tokens) if (t.refresh_token !== null) refreshTokens.set(t.refresh_token, t);
  const codes = new Map(entities.oauth2_authorization_codes.map((c) => [c.code, c]));
  return { tokens, refreshTokens, codes };
}

/**
 * Credential lookups for the auth plugins, built once per loaded configuration (hash
 * maps: lookups cost the same with 10 or 100,000 credentials). Consumers are found by id,
 * username or custom_id (Kong's `anonymous` accepts id or username).
 */
export function buildCredentialIndex(config: GatewayConfig): SnapshotCredentials {
  const consumers = new Map<string, GatewayConsumer>();
  const byName = new Map<string, GatewayConsumer>();
  for (const c of config.consumers) {
    consumers.set(c.id, c);
    if (c.username !== null) byName.set(c.username, c);
    if (c.custom_id !== null && !byName.has(c.custom_id)) byName.set(c.custom_id, c);
  }
  const withConsumer = <T extends { consumer: string }>(list: T[], key: (t: T) => string) => {
    const m = new Map<string, { credential: T; consumer: GatewayConsumer }>();
    for (const credential of list) {
      const consumer = consumers.get(credential.consumer);
      if (consumer !== undefined) m.set(key(credential), { credential, consumer });
    }
    return m;
  };
  const keyAuth = withConsumer(config.keyauth_credentials, (c) => c.key);
  const jwt = withConsumer(config.jwt_secrets, (c) => c.key);
  const hmacAuth = withConsumer(config.hmacauth_credentials, (c) => c.username);
  const oauth2Clients = withConsumer(config.oauth2_credentials, (c) => c.client_id);
  const oauth2ClientsById = withConsumer(config.oauth2_credentials, (c) => c.id);
  let oauth2 = oauth2Maps(config);
  const basicAuth = new Map<
    string,
    { credential: BasicAuthCredential; consumer: GatewayConsumer; passwordHash: string }
  >();
  for (const credential of config.basicauth_credentials) {
    const consumer = consumers.get(credential.consumer);
    if (consumer === undefined) continue;
    // one form to compare with, Kong's salted hash: a stored one as it is, a declarative password hashed
    const passwordHash =
      config.basicauth_passwords === "hashed"
        ? (credential.password ?? "")
        : hashBasicAuthPassword(consumer.id, credential.password);
    basicAuth.set(credential.username, { credential, consumer, passwordHash });
  }
  const groups = new Map<string, string[]>();
  for (const acl of config.acls) {
    const list = groups.get(acl.consumer);
    if (list === undefined) groups.set(acl.consumer, [acl.group]);
    else if (!list.includes(acl.group)) list.push(acl.group);
  }
  return {
    keyAuth: (key) => keyAuth.get(key) ?? null,
    jwt: (key) => jwt.get(key) ?? null,
    basicAuth: (username) => basicAuth.get(username) ?? null,
    hmacAuth: (username) => hmacAuth.get(username) ?? null,
    aclGroups: (consumerId) => groups.get(consumerId) ?? [],
    consumer: (idOrUsername) => consumers.get(idOrUsername) ?? byName.get(idOrUsername) ?? null,
    oauth2Client: (clientId) => oauth2Clients.get(clientId) ?? null,
    oauth2ClientById: (id) => oauth2ClientsById.get(id) ?? null,
    oauth2Token: (accessToken) => oauth2.tokens.get(accessToken) ?? null,
    oauth2RefreshToken: (refreshToken) => oauth2.refreshTokens.get(refreshToken) ?? null,
    oauth2Code: (code) => oauth2.codes.get(code) ?? null,
    reindexOAuth2: (entities) => {
      oauth2 = oauth2Maps(entities);
    },
  };
}
