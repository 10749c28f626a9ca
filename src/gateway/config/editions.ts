/**
 * What Kong offers only in Kong Enterprise / Konnect, and what open-source Kong has that this
 * gateway does not run yet — so a declarative file using it is refused with a message that says
 * so, at the place (Kong's flattened error paths), instead of "unknown field" or "plugin not
 * enabled". The one list of these; the loader (top-level keys), `checkEntity` (entity fields) and
 * the plugins entity (plugin names) read it.
 *
 * Sources: open-source plugins — Kong's `kong/constants.lua` BUNDLED_PLUGINS (Kong 3.x);
 * Enterprise plugins — the Kong Plugin Hub (konghq.com/plugins, developer.konghq.com/plugins),
 * the plugins not in that open-source list; Enterprise entities and fields — Kong Gateway
 * Enterprise docs (workspaces, RBAC, consumer groups, dynamic plugin ordering, partials,
 * mTLS auth credentials, degraphql routes) and decK's Konnect file format (`_konnect`, Konnect
 * custom plugins, service packages); vaults — Kong's Secrets Management docs (`env` is the
 * open-source vault). Checked against the files of decK's test data
 * (test/support/deck-testdata.ts).
 */
import type { KindName } from "./entities/entity.js";

/** Kong Gateway open-source plugins (kong/constants.lua) that this gateway has no handler for yet. */
export const OPEN_SOURCE_PLUGINS_NOT_YET = new Set([
  "loggly",
  "datadog",
  "ldap-auth",
  "bot-detection",
  "aws-lambda",
  "azure-functions",
  "zipkin",
  "pre-function",
  "post-function",
  "session",
  "acme",
  "grpc-gateway",
  "grpc-web",
  "ai-proxy",
  "ai-prompt-decorator",
  "ai-prompt-template",
  "ai-prompt-guard",
  "ai-request-transformer",
  "ai-response-transformer",
  "standard-webhooks",
  "redirect",
]);

/** Kong Enterprise plugins (Plugin Hub, not in kong/constants.lua). */
export const ENTERPRISE_PLUGINS = new Set([
  "ai-a2a-proxy",
  "ai-aws-guardrails",
  "ai-azure-content-safety",
  "ai-gcp-model-armor",
  "ai-llm-as-judge",
  "ai-mcp-oauth2",
  "ai-mcp-proxy",
  "ai-model-selector",
  "ai-prompt-compressor",
  "ai-proxy-advanced",
  "ai-rag-injector",
  "ai-rate-limiting-advanced",
  "ai-sanitizer",
  "ai-semantic-cache",
  "ai-semantic-prompt-guard",
  "ai-semantic-response-guard",
  "app-dynamics",
  "application-registration",
  "canary",
  "confluent",
  "confluent-consume",
  "datakit",
  "degraphql",
  "exit-transformer",
  "forward-proxy",
  "graphql-proxy-cache-advanced",
  "graphql-rate-limiting-advanced",
  "header-cert-auth",
  "injection-protection",
  "jq",
  "json-threat-protection",
  "jwe-decrypt",
  "jwt-signer",
  "kafka-consume",
  "kafka-log",
  "kafka-upstream",
  "key-auth-enc",
  "ldap-auth-advanced",
  "mocking",
  "mtls-auth",
  "oas-validation",
  "oauth2-introspection",
  "opa",
  "openid-connect",
  "proxy-cache-advanced",
  "rate-limiting-advanced",
  "request-transformer-advanced",
  "request-validator",
  "response-transformer-advanced",
  "route-by-header",
  "route-transformer-advanced",
  "saml",
  "service-protection",
  "solace-consume",
  "solace-log",
  "solace-upstream",
  "statsd-advanced",
  "tls-handshake-modifier",
  "tls-metadata-headers",
  "upstream-oauth",
  "upstream-timeout",
  "vault-auth",
  "websocket-size-limit",
  "websocket-validator",
  "xml-threat-protection",
]);

const ENTERPRISE = "is a Kong Enterprise feature; this gateway runs open-source Kong features only";
const NOT_YET = "is an open-source Kong feature not supported yet by this gateway";

export const EDITION_MSG = {
  enterprisePlugin: (name: string) =>
    `plugin '${name}' is a Kong Enterprise plugin; this gateway runs open-source Kong plugins only`,
  pluginNotYet: (name: string) =>
    `plugin '${name}' is an open-source Kong plugin not supported yet by this gateway`,
  /**
   * A plugin that writes entities as it runs (oauth2: its tokens and codes) in DB-less mode: Kong
   * loads it there and then fails every write with this (kong/db/strategies/off); here it is
   * refused when the configuration loads, in Kong's words.
   */
  pluginNeedsDatabase: (name: string, kind: string) =>
    `plugin '${name}' needs a database (run the gateway in database mode): cannot create '${kind}' entities when not using a database`,
  enterprise: (what: string) => `${what} ${ENTERPRISE}`,
  notYet: (what: string) => `${what} ${NOT_YET}`,
} as const;

/** Top-level keys of a declarative document refused, and why. */
export const REFUSED_TOP_LEVEL: Readonly<Record<string, string>> = {
  _konnect: EDITION_MSG.enterprise("'_konnect' (Kong Konnect control plane)"),
  consumer_groups: EDITION_MSG.enterprise("'consumer_groups' (consumer groups)"),
  rbac_roles: EDITION_MSG.enterprise("'rbac_roles' (RBAC)"),
  rbac_users: EDITION_MSG.enterprise("'rbac_users' (RBAC)"),
  workspaces: EDITION_MSG.enterprise("'workspaces'"),
  partials: EDITION_MSG.enterprise("'partials'"),
  custom_entities: EDITION_MSG.enterprise("'custom_entities' (degraphql routes)"),
  degraphql_routes: EDITION_MSG.enterprise("'degraphql_routes'"),
  mtls_auth_credentials: EDITION_MSG.enterprise("'mtls_auth_credentials' (mtls-auth)"),
  custom_plugins: EDITION_MSG.enterprise("'custom_plugins' (Konnect custom plugins)"),
  cloned_plugins: EDITION_MSG.enterprise("'cloned_plugins' (Konnect)"),
  service_packages: EDITION_MSG.enterprise("'service_packages' (Konnect API products)"),
  ai_models: EDITION_MSG.enterprise("'ai_models' (Konnect AI Gateway)"),
  event_hooks: EDITION_MSG.enterprise("'event_hooks'"),
  licenses: EDITION_MSG.enterprise("'licenses'"),
  filter_chains: EDITION_MSG.notYet("'filter_chains' (WebAssembly filters)"),
};

/**
 * A refused entity field: why, and the values that change nothing (Kong's defaults, which
 * decK dumps write on every entity) — those are accepted and dropped.
 */
export interface RefusedField {
  message: string;
  inert?: readonly (string | boolean | null)[];
}

/** Entity fields (and collections nested in an entity) refused, per kind, and why. */
export const REFUSED_FIELDS: Readonly<
  Partial<Record<KindName, Readonly<Record<string, string | RefusedField>>>>
> = {
  consumers: {
    groups: EDITION_MSG.enterprise("'groups' (consumer groups)"),
    mtls_auth_credentials: EDITION_MSG.enterprise("'mtls_auth_credentials' (mtls-auth)"),
  },
  plugins: {
    consumer_group: EDITION_MSG.enterprise("'consumer_group' (consumer groups)"),
    ordering: EDITION_MSG.enterprise("'ordering' (dynamic plugin ordering)"),
    partials: EDITION_MSG.enterprise("'partials'"),
    condition: EDITION_MSG.enterprise("'condition' (conditional plugins)"),
  },
  upstreams: {
    sticky_sessions_cookie: {
      message: EDITION_MSG.enterprise("'sticky_sessions_cookie' (the sticky-sessions algorithm)"),
      inert: [null],
    },
    sticky_sessions_cookie_path: {
      message: EDITION_MSG.enterprise("'sticky_sessions_cookie_path' (the sticky-sessions algorithm)"),
      inert: [null, "/"],
    },
  },
  targets: {
    failover: { message: EDITION_MSG.enterprise("'failover' (failover targets)"), inert: [null, false] },
  },
  routes: {
    expression: EDITION_MSG.notYet("'expression' (the expressions router)"),
    priority: EDITION_MSG.notYet("'priority' (the expressions router)"),
    filter_chains: EDITION_MSG.notYet("'filter_chains' (WebAssembly filters)"),
  },
  services: {
    tls_sans: EDITION_MSG.enterprise("'tls_sans' (upstream certificate SAN verification)"),
    filter_chains: EDITION_MSG.notYet("'filter_chains' (WebAssembly filters)"),
  },
};

/** The vaults open-source Kong bundles (the others — aws, gcp, hcv, azure, conjur — are Enterprise). */
export const OPEN_SOURCE_VAULTS = new Set(["env"]);
export const vaultMsg = (name: string) =>
  `vault '${name}' is a Kong Enterprise vault; open-source Kong (and this gateway) has the 'env' vault only`;

/** Kong open-source has exactly one workspace: `_workspace` may only name it. */
export const OPEN_SOURCE_WORKSPACE = "default";
export const WORKSPACE_MSG = EDITION_MSG.enterprise("a workspace other than 'default' (workspaces)");
