/**
 * Rewrites the short syntaxes of one Compose file into the long ones, before files are merged, so the
 * merge rules can compare entries (a port written "8080:80" and one written as a mapping are the same
 * port). Values are interpolated already; `!reset` / `!override` markers pass through.
 */
import { isPlainObject } from "./interpolate.js";
import { OverrideValue, ResetValue } from "./markers.js";

export class ComposeModelError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = "ComposeModelError";
  }
}

export interface PortLong {
  target: number;
  published?: string;
  host_ip?: string;
  protocol: string;
  mode?: string;
  name?: string;
}

export interface VolumeLong {
  type: "bind" | "volume" | "tmpfs" | "npipe";
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: Record<string, unknown>;
  volume?: Record<string, unknown>;
  tmpfs?: Record<string, unknown>;
}

type Tree = Record<string, unknown>;

/** Applies `fn` to a value unless it is a `!reset` marker; unwraps and rewraps `!override`. */
function through(value: unknown, fn: (v: unknown) => unknown): unknown {
  if (value instanceof ResetValue) return value;
  if (value instanceof OverrideValue) return new OverrideValue(fn(value.value));
  return fn(value);
}

export function normalizeFile(tree: Tree, file: string): Tree {
  const out: Tree = { ...tree };
  const services = tree.services;
  if (services !== undefined && services !== null) {
    if (!isPlainObject(services))
      throw new ComposeModelError("must be a mapping of service names", `${file}: services`);
    const normalized: Tree = {};
    for (const [name, svc] of Object.entries(services)) {
      const path = `${file}: services.${name}`;
      if (svc instanceof ResetValue) {
        normalized[name] = svc;
        continue;
      }
      const body = svc === null ? {} : svc;
      if (!isPlainObject(body)) throw new ComposeModelError("must be a mapping", path);
      normalized[name] = normalizeService(body, path);
    }
    out.services = normalized;
  }
  return out;
}

function normalizeService(svc: Tree, path: string): Tree {
  const out: Tree = { ...svc };
  const set = (key: string, fn: (v: unknown, p: string) => unknown) => {
    if (key in svc) out[key] = through(svc[key], (v) => fn(v, `${path}.${key}`));
  };
  set("environment", (v, p) => toMapping(v, p, "="));
  set("labels", (v, p) => toMapping(v, p, "="));
  set("annotations", (v, p) => toMapping(v, p, "="));
  set("sysctls", (v, p) => toMapping(v, p, "="));
  set("extra_hosts", (v, p) => toMapping(v, p, /[=:]/));
  set("build", (v, p) => normalizeBuild(v, p));
  set("depends_on", (v, p) => normalizeDependsOn(v, p));
  set("networks", (v, p) => normalizeServiceNetworks(v, p));
  set("ports", (v, p) => asList(v, p).flatMap((item, i) => parsePort(item, `${p}[${i}]`)));
  set("volumes", (v, p) => asList(v, p).map((item, i) => parseVolume(item, `${p}[${i}]`)));
  for (const key of ["env_file", "dns", "dns_search", "tmpfs", "expose", "cap_add", "cap_drop", "profiles"]) {
    set(key, (v, p) => asList(v, p).map((x) => (typeof x === "number" ? String(x) : x)));
  }
  if (isPlainObject(svc.healthcheck)) {
    const hc: Tree = { ...svc.healthcheck };
    if ("test" in hc) hc.test = through(hc.test, (t) => (typeof t === "string" ? ["CMD-SHELL", t] : t));
    out.healthcheck = hc;
  }
  return out;
}

function asList(value: unknown, path: string): unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === "string" || typeof value === "number") return [value];
  throw new ComposeModelError("must be a list", path);
}

/** `["K=V", "K"]` or `{K: V}` → `{K: "V" | null}`; values stringified as Compose does. */
function toMapping(value: unknown, path: string, sep: string | RegExp): Tree {
  if (value === null || value === undefined) return {};
  const out: Tree = {};
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (typeof item !== "string")
        throw new ComposeModelError("entries must be strings like KEY=VALUE", `${path}[${i}]`);
      const idx = typeof sep === "string" ? item.indexOf(sep) : item.search(sep);
      if (idx < 0) out[item] = null;
      else out[item.slice(0, idx)] = item.slice(idx + 1);
    }
    return out;
  }
  if (!isPlainObject(value)) throw new ComposeModelError("must be a mapping or a list of KEY=VALUE", path);
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v instanceof ResetValue) out[k] = v;
    else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v);
    else if (v instanceof OverrideValue) out[k] = String(v.value);
    else throw new ComposeModelError("values must be strings, numbers or booleans", `${path}.${k}`);
  }
  return out;
}

function normalizeBuild(value: unknown, path: string): unknown {
  if (typeof value === "string") return { context: value };
  if (!isPlainObject(value)) throw new ComposeModelError("must be a path or a mapping", path);
  const out: Tree = { ...value };
  if ("args" in value) out.args = through(value.args, (v) => toMapping(v, `${path}.args`, "="));
  if ("labels" in value) out.labels = through(value.labels, (v) => toMapping(v, `${path}.labels`, "="));
  return out;
}

const CONDITIONS = new Set(["service_started", "service_healthy", "service_completed_successfully"]);

function normalizeDependsOn(value: unknown, path: string): Tree {
  const out: Tree = {};
  if (Array.isArray(value)) {
    for (const name of value) out[String(name)] = { condition: "service_started", required: true };
    return out;
  }
  if (!isPlainObject(value)) throw new ComposeModelError("must be a list of services or a mapping", path);
  for (const [name, spec] of Object.entries(value)) {
    if (spec instanceof ResetValue) {
      out[name] = spec;
      continue;
    }
    const s = isPlainObject(spec) ? spec : {};
    const condition = s.condition ?? "service_started";
    if (typeof condition !== "string" || !CONDITIONS.has(condition)) {
      throw new ComposeModelError(
        `unknown condition '${String(condition)}' (expected ${[...CONDITIONS].join(", ")})`,
        `${path}.${name}.condition`,
      );
    }
    out[name] = { ...s, condition, required: s.required ?? true };
  }
  return out;
}

function normalizeServiceNetworks(value: unknown, path: string): Tree {
  if (Array.isArray(value)) return Object.fromEntries(value.map((n) => [String(n), null]));
  if (value === null) return {};
  if (!isPlainObject(value))
    throw new ComposeModelError("must be a list or a mapping of network names", path);
  return { ...value };
}

/** Short port syntax: `[HOST_IP:][PUBLISHED[-RANGE]:]TARGET[-RANGE][/PROTOCOL]`; ranges expand. */
export function parsePort(item: unknown, path: string): PortLong[] {
  if (typeof item === "number") return [{ target: item, protocol: "tcp" }];
  if (isPlainObject(item)) {
    const target = Number(item.target);
    if (!Number.isInteger(target)) throw new ComposeModelError("a port mapping needs a numeric target", path);
    const out: PortLong = {
      ...(item as object),
      target,
      protocol: String(item.protocol ?? "tcp"),
    } as PortLong;
    if (item.published !== undefined && item.published !== null) out.published = String(item.published);
    return [out];
  }
  if (typeof item !== "string")
    throw new ComposeModelError('must be a port like "8080:80" or a mapping', path);
  let rest = item.trim();
  let protocol = "tcp";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    protocol = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1];
    rest = v6[2] as string;
  }
  const parts = rest.split(":");
  if (!hostIp && parts.length === 3) hostIp = parts.shift();
  if (parts.length > 2 || parts.some((p) => p === "" && parts.length === 1)) {
    throw new ComposeModelError(`invalid port '${item}'`, path);
  }
  const targetPart = parts.pop() as string;
  const publishedPart = parts.pop();
  const targets = expandRange(targetPart, item, path);
  const published = publishedPart ? expandRange(publishedPart, item, path) : undefined;
  if (published && published.length !== targets.length && published.length !== 1 && targets.length !== 1) {
    throw new ComposeModelError(`port ranges of different sizes in '${item}'`, path);
  }
  return targets.map((target, i) => {
    const p: PortLong = { target, protocol, mode: "ingress" };
    if (hostIp) p.host_ip = hostIp;
    if (published) {
      // "8000-8010:80" publishes a range for one target: Docker picks a free one; keep the range text.
      p.published = published.length === targets.length ? String(published[i]) : publishedPart;
    }
    return p;
  });
}

function expandRange(text: string, whole: string, path: string): number[] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw new ComposeModelError(`invalid port '${whole}'`, path);
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  if (to < from || from < 0 || to > 65535)
    throw new ComposeModelError(`invalid port range in '${whole}'`, path);
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

const MODE_FLAGS = new Set([
  "ro",
  "rw",
  "z",
  "Z",
  "nocopy",
  "shared",
  "rshared",
  "slave",
  "rslave",
  "private",
  "rprivate",
  "cached",
  "delegated",
  "consistent",
]);

/** Short volume syntax: `TARGET`, `SOURCE:TARGET[:MODE]` (source `.`/`/`/`~` = bind, else named volume). */
export function parseVolume(item: unknown, path: string): VolumeLong {
  if (isPlainObject(item)) {
    if (typeof item.target !== "string") throw new ComposeModelError("a volume mapping needs a target", path);
    const type = String(item.type ?? "volume");
    if (!["bind", "volume", "tmpfs", "npipe"].includes(type))
      throw new ComposeModelError(`unknown volume type '${type}'`, path);
    return { ...(item as object), type } as VolumeLong;
  }
  if (typeof item !== "string" || item === "")
    throw new ComposeModelError("must be a volume like ./data:/data or a mapping", path);
  const parts = item.split(":");
  if (parts.length === 1) return { type: "volume", target: item };
  let mode: string | undefined;
  if (parts.length >= 3) mode = parts.pop();
  const target = parts.pop() as string;
  const source = parts.join(":");
  if (!source) return { type: "volume", target };
  const isBind = /^[./~]/.test(source);
  const out: VolumeLong = { type: isBind ? "bind" : "volume", source, target };
  const flags = new Set((mode ?? "").split(",").filter(Boolean));
  for (const f of flags)
    if (!MODE_FLAGS.has(f)) throw new ComposeModelError(`unknown volume mode '${f}' in '${item}'`, path);
  if (flags.has("ro")) out.read_only = true;
  if (isBind) {
    out.bind = { create_host_path: true };
    const sel = flags.has("z") ? "z" : flags.has("Z") ? "Z" : undefined;
    if (sel) out.bind.selinux = sel;
    const prop = [...flags].find((f) => /^r?(shared|slave|private)$/.test(f));
    if (prop) out.bind.propagation = prop;
  } else if (flags.has("nocopy")) {
    out.volume = { nocopy: true };
  }
  return out;
}
