/**
 * Kong's typedefs (kong/db/schema/typedefs.lua) re-expressed as field definitions with
 * the same validators and messages: names, hosts, ports, paths, router paths, headers,
 * tags, timeouts, protocols.
 */
import { linearRegexError } from "../../linear-regex.js";
import { normalizePath } from "../../router/normalize.js";
import type { ArrayField, MapField, NumberField, StringField } from "./fields.js";

type HostParse =
  | { ok: true; type: "ipv4" | "ipv6" | "name"; host: string; port: number | null }
  | { ok: false; err: string };

const NAME_RE = /^[A-Za-z0-9\-._]+$/;

/** Kong's utils.normalize_ip: classify `host[:port]` as ipv4, ipv6 or name. */
export function parseHostPort(address: string): HostParse {
  const portOf = (s: string | undefined): number | null | "bad" => {
    if (s === undefined || s === "") return null;
    if (!/^\d+$/.test(s)) return "bad";
    const n = Number(s);
    return n >= 0 && n <= 65535 ? n : "bad";
  };
  // ipv6: [addr]:port or bare addr with several colons
  const bracket = /^\[([0-9A-Fa-f:.]+)\](?::(\d*))?$/.exec(address);
  if (bracket || (address.split(":").length > 2 && /^[0-9A-Fa-f:.]+$/.test(address))) {
    const addr = bracket ? bracket[1]! : address;
    if (!isIpv6(addr)) return { ok: false, err: "invalid ipv6 address" };
    const port = portOf(bracket?.[2]);
    if (port === "bad") return { ok: false, err: "invalid port number" };
    return { ok: true, type: "ipv6", host: addr.toLowerCase(), port };
  }
  const m = /^([^:]*)(?::(.*))?$/.exec(address);
  const host = m?.[1] ?? "";
  const port = portOf(m?.[2]);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
    if (!host.split(".").every((o) => Number(o) <= 255)) return { ok: false, err: "invalid ipv4 address" };
    if (port === "bad") return { ok: false, err: "invalid port number" };
    return { ok: true, type: "ipv4", host, port };
  }
  if (host === "" || !NAME_RE.test(host)) return { ok: false, err: `invalid hostname: ${address}` };
  if (port === "bad") return { ok: false, err: "invalid port number" };
  return { ok: true, type: "name", host: host.toLowerCase(), port };
}

export function isIpv4(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) && s.split(".").every((o) => Number(o) <= 255);
}

export function isIpv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(":")) return false;
  const doubles = s.split("::").length - 1;
  if (doubles > 1) return false;
  let parts = s.split(":");
  const last = parts[parts.length - 1] ?? "";
  let groups = parts.length;
  if (last.includes(".")) {
    if (!isIpv4(last)) return false;
    groups += 1;
    parts = parts.slice(0, -1);
  }
  const nonEmpty = parts.filter((p) => p !== "");
  if (!nonEmpty.every((p) => /^[0-9A-Fa-f]{1,4}$/.test(p))) return false;
  return doubles === 1 ? groups <= 9 : groups === 8 && nonEmpty.length === parts.length;
}

function validateHost(host: string): string | null {
  const r = parseHostPort(host);
  if (!r.ok && r.err !== "invalid port number") return `invalid value: ${host}`;
  if (!r.ok || r.port !== null) return "must not have a port";
  return null;
}

function validateHostWithOptionalPort(host: string): string | null {
  const r = parseHostPort(host);
  return r.ok ? null : r.err;
}

const RFC3986_PATH = /^\/[A-Za-z0-9.\-_~/%:@!$&'()*+,;=]*$/;

/** Kong validate_path: returns [message, code] or null. */
function checkPath(path: string): { err: string; code: "rfc3986" | "percent" } | null {
  if (!RFC3986_PATH.test(path)) {
    return {
      err: `invalid path: '${path}' (characters outside of the reserved list of RFC 3986 found)`,
      code: "rfc3986",
    };
  }
  const raw = path.replace(/%[0-9A-Fa-f]{2}/g, "___");
  const at = raw.indexOf("%");
  if (at !== -1) return { err: `invalid url-encoded value: '${raw.slice(at, at + 3)}'`, code: "percent" };
  return null;
}

function validateRouterPath(path: string): string | null {
  const p = checkPath(path.startsWith("~") ? path.slice(1) : path);
  if (p?.code === "percent") return p.err;
  if (!path.startsWith("~")) {
    const normalized = normalizePath(path, true);
    if (normalized !== path) return `non-normalized path, consider use '${normalized}' instead`;
    return null;
  }
  // the router's linear-time engine refuses syntax errors, look-around and backreferences
  return linearRegexError(path.slice(1));
}

// Kong's utf-8 bytes 128-244: every non-ASCII character, astral ones (emoji) included, no lone surrogate
const utf8NameRe = /^[A-Za-z0-9.\-_~\u{80}-\u{D7FF}\u{E000}-\u{10FFFF}]+$/u;

export const utf8Name: StringField = {
  type: "string",
  description: "A unique string representing a UTF-8 encoded name.",
  check: (name) =>
    utf8NameRe.test(name)
      ? null
      : `invalid value '${name}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`,
};

export const name: StringField = {
  type: "string",
  check: (n) =>
    /^[A-Za-z0-9.\-_~]+$/.test(n)
      ? null
      : `invalid value '${n}': it must only contain alphanumeric and '., -, _, ~' characters`,
};

export const tags: ArrayField = {
  type: "set",
  description: "A set of strings representing tags.",
  elements: {
    type: "string",
    check: (tag) =>
      // printable ASCII except ',' and '/', plus non-ASCII
      /^[ !-+\-.0-~\u{80}-\u{D7FF}\u{E000}-\u{10FFFF}]+$/u.test(tag) &&
      !tag.includes(",") &&
      !tag.includes("/")
        ? null
        : `invalid tag '${tag}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`,
  },
};

export const host: StringField = {
  type: "string",
  check: validateHost,
  description: "A host name or IP address.",
};

export const hostWithOptionalPort: StringField = {
  type: "string",
  check: validateHostWithOptionalPort,
};

export const port: NumberField = { type: "integer", between: [0, 65535] };

export const timeout: NumberField = { type: "integer", between: [0, 2 ** 31 - 2] };

export const nonzeroTimeout: NumberField = { type: "integer", between: [1, 2 ** 31 - 2] };

export const path: StringField = {
  type: "string",
  startsWith: "/",
  matchNone: [{ pattern: /\/\//, err: "must not have empty segments" }],
  check: (p) => checkPath(p)?.err ?? null,
};

export const uuid: StringField = { type: "string", uuid: true };

/** Kong 3 (open-source) PROTOCOLS, sorted as Kong sorts them; ws/wss are Enterprise-only. */
export const PROTOCOLS = ["grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp"] as const;

export const protocol: StringField = { type: "string", oneOf: PROTOCOLS };

export const methods: ArrayField = {
  type: "set",
  elements: { type: "string", match: /^[A-Z]+$/ },
};

export const hosts: ArrayField = {
  type: "array",
  elements: {
    type: "string",
    matchAll: [{ pattern: /^[^*]*\*?[^*]*$/, err: "invalid wildcard: must have at most one wildcard" }],
    matchAny: {
      patterns: [/^\*\./, /\.\*$/, /^[^*]*$/],
      err: "invalid wildcard: must be placed at leftmost or rightmost label",
    },
    check: (h) => validateHostWithOptionalPort(h.replace(/\*/g, "abc")),
  },
};

export const routerPaths: ArrayField = {
  type: "array",
  elements: {
    type: "string",
    matchAny: { patterns: [/^\//, /^~\//], err: "should start with: / (fixed path) or ~/ (regex path)" },
    matchNone: [{ pattern: /\/\//, err: "must not have empty segments" }],
    check: validateRouterPath,
  },
};

/** Kong's utils.validate_header_name accepts letters, digits, '_' and '-'. */
const TOKEN_RE = /^[A-Za-z0-9_-]+$/;

export const headerName: StringField = {
  type: "string",
  check: (n) =>
    TOKEN_RE.test(n) ? null : `bad header name '${n}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`,
};

export const routeHeaders: MapField = {
  type: "map",
  keys: {
    ...headerName,
    matchNone: [
      {
        pattern: /^[Hh][Oo][Ss][Tt]$/,
        err: "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
      },
    ],
  },
  values: {
    type: "array",
    // `~*re`: a case-insensitive regex, compiled lowercased as the router compiles it
    elements: {
      type: "string",
      check: (v) => (v.startsWith("~*") ? linearRegexError(v.slice(2).toLowerCase()) : null),
    },
  },
};

export const sni: StringField = {
  type: "string",
  check: (h) => {
    const r = parseHostPort(h);
    if (!r.ok && r.err !== "invalid port number") return `invalid value: ${h}`;
    if (r.ok && r.type !== "name") return "must not be an IP";
    if (!r.ok || r.port !== null) return "must not have a port";
    return null;
  },
};

export const ipOrCidr: StringField = {
  type: "string",
  check: (v) => (isIpOrCidr(v) ? null : `invalid ip or cidr range: '${v}'`),
};

export function isIpOrCidr(v: string): boolean {
  const [addr, bits, extra] = v.split("/");
  if (extra !== undefined || addr === undefined) return false;
  const v4 = isIpv4(addr);
  const v6 = !v4 && isIpv6(addr);
  if (!v4 && !v6) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (v4 ? 32 : 128);
}
