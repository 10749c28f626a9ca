/**
 * The state a declarative file asks for, as the gateway would store it: parsed by the gateway's
 * own loader (schemas, defaults, references, Kong's deterministic ids), vault references kept as
 * written (the gateway resolves them when it loads its state), flattened to one record per
 * entity with foreign keys as `{ id }`, and every entity tagged with the select tag (database mode;
 * without a tag — what a DB-less gateway serves — the entities as the file has them).
 */
import { readFile } from "node:fs/promises";
import { GatestackError } from "../errors.js";
import type { KindName } from "../gateway/config/kinds.js";
import { type PluginLookup, parseDeclarativeConfig } from "../gateway/config/load.js";
import { errorLines } from "../gateway/config/report.js";
import { storedRecordsOf } from "../gateway/store/records.js";
import type { AdminEntity } from "./collections.js";

export type DesiredState = ReadonlyMap<KindName, readonly AdminEntity[]>;

export async function readDeclarativeFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new GatestackError("E_IO", code === "ENOENT" ? "no such file" : `cannot read file (${code})`, {
      place: file,
    });
  }
}

/**
 * The entities of `text` (a Kong declarative document), each tagged with `tag` when one is given.
 * `idsWithEnv` (a DB-less gateway, which resolves `{vault://env/…}` before it gives a credential
 * the id its key decides): the ids are those of the document resolved with these variables, the
 * values stay as written — no resolved secret leaves this function. Unresolvable: the ids as written.
 */
export function desiredState(
  text: string,
  opts: {
    tag?: string | undefined;
    plugins: PluginLookup;
    place: string;
    idsWithEnv?: Record<string, string | undefined>;
  },
): DesiredState {
  // With a select tag the file is for a gateway in database mode, where plugins storing what they
  // issue (oauth2) are accepted.
  const parsed = parseDeclarativeConfig(text, {
    plugins: opts.plugins,
    resolveVaultReferences: false,
    database: opts.tag !== undefined,
  });
  if (!parsed.ok) {
    const lines = errorLines(parsed.error);
    const first = lines[0];
    const more = lines.length > 1 ? ` (and ${lines.length - 1} more)` : "";
    throw new GatestackError(
      "E_GATEWAY_CONFIG",
      first ? `${first.pointer}: ${first.message}${more}` : parsed.error.message,
      {
        place: opts.place,
        hint: `run \`stack gateway validate ${opts.place}\` for every error`,
        data: { error: parsed.error },
      },
    );
  }
  const out = new Map<KindName, AdminEntity[]>();
  const tag = opts.tag;
  const resolvedIds = opts.idsWithEnv === undefined ? null : idsResolved(text, opts.plugins, opts.idsWithEnv);
  for (const [kind, written] of storedRecordsOf(parsed.config)) {
    const ids = resolvedIds?.get(kind);
    const records: AdminEntity[] =
      ids !== undefined && ids.length === written.length
        ? written.map((r, i) => ({ ...r, id: ids[i]! }))
        : written;
    out.set(kind, tag === undefined ? records : records.map((r) => ({ ...r, tags: withTag(r.tags, tag) })));
  }
  return out;
}

function withTag(tags: unknown, tag: string): string[] {
  const list = Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
  return list.includes(tag) ? list : [...list, tag];
}

/** Each kind's ids in the document resolved with `env` (same entities, same order), or null. */
function idsResolved(
  text: string,
  plugins: PluginLookup,
  env: Record<string, string | undefined>,
): Map<KindName, string[]> | null {
  const parsed = parseDeclarativeConfig(text, { plugins, env });
  if (!parsed.ok) return null;
  const out = new Map<KindName, string[]>();
  for (const [kind, records] of storedRecordsOf(parsed.config))
    out.set(
      kind,
      records.map((r) => r.id),
    );
  return out;
}
