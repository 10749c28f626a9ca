/**
 * `{vault://env/NAME}` references (Kong's env vault) resolved from an environment map in
 * every string of a declarative document. Kong maps NAME to the variable by uppercasing
 * it and turning '-' into '_' (`{vault://env/my-secret}` reads MY_SECRET). A reference to
 * an unset variable is an error at that field; references to other vaults are left alone.
 */
import { ErrorList, type ErrorRecord, type ErrorTree } from "./schema/errors.js";
import { isPlainObject, setOwn } from "./schema/fields.js";

const REF = /^\{vault:\/\/env\/([^}/]+)(?:\/([^}]*))?\}$/;

/** `{vault://env/NAME}`: the reference to environment variable NAME. */
export function envVaultRef(name: string): string {
  return `{vault://env/${name}}`;
}

export function envVariableName(ref: string): string {
  return ref.toUpperCase().replace(/-/g, "_");
}

export interface VaultResult {
  doc: unknown;
  /** Errors nested like the document, or undefined. */
  error?: ErrorTree;
}

/** `doc` with env vault references resolved from `env` (copied only where something changed). */
export function resolveVaultRefs(doc: unknown, env: Record<string, string | undefined>): VaultResult {
  return walk(doc, env);
}

/** Copy-on-write walk: unchanged subtrees are returned as they are (no copies for big docs). */
function walk(value: unknown, env: Record<string, string | undefined>): VaultResult {
  if (typeof value === "string") {
    if (!value.includes("{vault://")) return { doc: value };
    const m = REF.exec(value.trim());
    if (!m) return { doc: value };
    const name = envVariableName(m[1]!);
    const raw = env[name];
    if (raw === undefined) {
      return {
        doc: value,
        error: `could not resolve vault reference '${value}': environment variable ${name} is not set`,
      };
    }
    if (m[2]) {
      // {vault://env/NAME/key}: the variable holds JSON, take one key of it
      try {
        const obj: unknown = JSON.parse(raw);
        const v = isPlainObject(obj) ? obj[m[2]] : undefined;
        if (typeof v === "string") return { doc: v };
      } catch {
        // fall through to the error below
      }
      return {
        doc: value,
        error: `could not resolve vault reference '${value}': no key '${m[2]}' in ${name}`,
      };
    }
    return { doc: raw };
  }
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    const errs = new ErrorList();
    for (let i = 0; i < value.length; i++) {
      const r = walk(value[i], env);
      if (r.error !== undefined) errs.set(i, r.error);
      if (r.doc !== value[i]) {
        out ??= value.slice();
        out[i] = r.doc;
      }
    }
    const doc = out ?? value;
    return errs.size > 0 ? { doc, error: errs } : { doc };
  }
  if (isPlainObject(value)) {
    let out: Record<string, unknown> | null = null;
    const errs: ErrorRecord = {};
    let failed = false;
    for (const [k, v] of Object.entries(value)) {
      const r = walk(v, env);
      if (r.error !== undefined) {
        setOwn(errs, k, r.error);
        failed = true;
      }
      if (r.doc !== v) {
        if (out === null) {
          out = {};
          for (const [k2, v2] of Object.entries(value)) setOwn(out, k2, v2);
        }
        setOwn(out, k, r.doc);
      }
    }
    const doc = out ?? value;
    return failed ? { doc, error: errs } : { doc };
  }
  return { doc: value };
}
