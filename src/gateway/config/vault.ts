/**
 * `{vault://env/NAME}` references (Kong's env vault) resolved from an environment map in
 * every string of a declarative document. Kong maps NAME to the variable by uppercasing
 * it and turning '-' into '_' (`{vault://env/my-secret}` reads MY_SECRET). A reference to
 * an unset variable is an error at that field; references to other vaults are left alone.
 */
import { ErrorList, type ErrorRecord, type ErrorTree } from "./schema/errors.js";
import { isPlainObject, setOwn } from "./schema/fields.js";

const REF = /^\{vault:\/\/env\/([^}/]+)(?:\/([^}]*))?\}$/;

export function envVariableName(ref: string): string {
  return ref.toUpperCase().replace(/-/g, "_");
}

export interface VaultResult {
  doc: unknown;
  /** Errors nested like the document, or undefined. */
  error?: ErrorTree;
}

/** Return a copy of `doc` with env vault references resolved from `env`. */
export function resolveVaultRefs(doc: unknown, env: Record<string, string | undefined>): VaultResult {
  return walk(doc, env);
}

function walk(value: unknown, env: Record<string, string | undefined>): VaultResult {
  if (typeof value === "string") {
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
    const out: unknown[] = [];
    const errs = new ErrorList();
    value.forEach((v, i) => {
      const r = walk(v, env);
      out.push(r.doc);
      if (r.error !== undefined) errs.set(i, r.error);
    });
    return errs.size > 0 ? { doc: out, error: errs } : { doc: out };
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    const errs: ErrorRecord = {};
    for (const [k, v] of Object.entries(value)) {
      const r = walk(v, env);
      setOwn(out, k, r.doc);
      if (r.error !== undefined) setOwn(errs, k, r.error);
    }
    return Object.keys(errs).length > 0 ? { doc: out, error: errs } : { doc: out };
  }
  return { doc: value };
}
