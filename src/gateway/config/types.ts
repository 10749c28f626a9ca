/**
 * The gateway's normalized, validated declarative configuration: what the loader
 * (config/) produces from a Kong `kong.yml` and what the router, balancer, plugins and
 * Admin API consume. Field names follow Kong's entities; every default is filled in,
 * every id is assigned (Kong-style UUIDs, derived deterministically from names when the
 * file gives none), references are resolved to ids, vault references are resolved.
 * Lists the file leaves unset are null, an empty list written in the file stays `[]` (Kong
 * answers them so in its Admin API).
 *
 * Each entity's type lives in its entity file (config/entities/<kind>.ts); this module gathers
 * them with the configuration as a whole.
 */

export type { AclGroup } from "./entities/acls.js";
export type { BasicAuthCredential } from "./entities/basicauth_credentials.js";
export type { GatewayConsumer } from "./entities/consumers.js";
export type { Protocol } from "./entities/entity.js";
export type { HmacAuthCredential } from "./entities/hmacauth_credentials.js";
export type { JwtSecret } from "./entities/jwt_secrets.js";
export type { KeyAuthCredential } from "./entities/keyauth_credentials.js";
export type { OAuth2AuthorizationCode } from "./entities/oauth2_authorization_codes.js";
export type { OAuth2Credential } from "./entities/oauth2_credentials.js";
export type { OAuth2Token } from "./entities/oauth2_tokens.js";
export type { GatewayPluginEntry } from "./entities/plugins.js";
export type { GatewayRoute } from "./entities/routes.js";
export type { GatewayService } from "./entities/services.js";
export type { GatewayTarget } from "./entities/targets.js";
export type { GatewayUpstream, HealthcheckActive, HealthcheckPassive } from "./entities/upstreams.js";

import type { EntityTypes } from "./entities/index.js";

export interface GatewayConfig {
  format_version: "1.1" | "2.1" | "3.0";
  services: EntityTypes["services"][];
  routes: EntityTypes["routes"][];
  upstreams: EntityTypes["upstreams"][];
  targets: EntityTypes["targets"][];
  consumers: EntityTypes["consumers"][];
  keyauth_credentials: EntityTypes["keyauth_credentials"][];
  jwt_secrets: EntityTypes["jwt_secrets"][];
  basicauth_credentials: EntityTypes["basicauth_credentials"][];
  hmacauth_credentials: EntityTypes["hmacauth_credentials"][];
  oauth2_credentials: EntityTypes["oauth2_credentials"][];
  oauth2_authorization_codes: EntityTypes["oauth2_authorization_codes"][];
  oauth2_tokens: EntityTypes["oauth2_tokens"][];
  acls: EntityTypes["acls"][];
  plugins: EntityTypes["plugins"][];
  /**
   * md5 hex of the declarative document as parsed (before vault references are
   * resolved), canonical JSON with sorted keys — Kong's `configuration_hash`. The same
   * function (config/hash.ts) lets `stack health` compare with the rendered file.
   */
  hash: string;
  /** basic-auth passwords as written (absent: a declarative file) or Kong's salted hash (database mode) */
  basicauth_passwords?: "plain" | "hashed";
}

/** Kong's declarative-config error (HTTP 400 on POST /config; `stack gateway validate`). */
export interface DeclarativeConfigError {
  code: 14;
  name: "invalid declarative configuration";
  message: string;
  /** Nested like Kong: { services: [ { routes: [ { paths: "..." } ] } ] } */
  fields: Record<string, unknown>;
  flattened_errors?: unknown[];
}
