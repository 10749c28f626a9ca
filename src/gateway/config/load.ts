/**
 * The declarative-config loader: Kong `kong.yml` (YAML or JSON, `_format_version` 3.0,
 * 2.1 or 1.1) → validated, normalized GatewayConfig, or Kong's code-14 error.
 *
 * Contract (shared with the server, Admin API and `stack gateway validate`):
 *  - `parseDeclarativeConfig(input, { env, plugins })` never throws, whatever the input;
 *  - `loadDeclarativeFile(path, opts)` reads a file and does the same (I/O errors included);
 *  - `PluginLookup` tells which plugins exist (the plugin registry's `get`).
 *
 * Steps: text → document; configuration hash; on-the-fly migration of pre-3.0 regex paths;
 * `{vault://env/NAME}` resolution; per-entity schema validation with defaults (nested and
 * top-level forms); plugin configs through each plugin's zod schema; deterministic ids;
 * references by name or id; uniqueness; assembly of the normalized entities.
 *
 * What is particular to one kind (its schema, relations, pre-3.0 migration, generated values,
 * extra checks, id key, assembly) lives in its entity file, config/entities/<kind>.ts; this
 * module walks the document and applies them.
 */
import { readFile } from "node:fs/promises";
import {
  OPEN_SOURCE_VAULTS,
  OPEN_SOURCE_WORKSPACE,
  REFUSED_FIELDS,
  REFUSED_TOP_LEVEL,
  vaultMsg,
  WORKSPACE_MSG,
} from "./editions.js";
import {
  type Assembly,
  CONFIG_KINDS,
  ENTITIES,
  type EntityDefinition,
  isKindName,
  KIND_NAMES,
  KINDS,
  type KindName,
  type LoadedEntity,
  OPAQUE_COLLECTIONS,
  type PluginLookup,
} from "./entities/index.js";
import { declarativeError, documentError } from "./error.js";
import { hashDeclarative } from "./hash.js";
import { entityId } from "./ids.js";
import { ErrorList, type ErrorRecord, type ErrorTree, isErrorRecord, mergeErrors } from "./schema/errors.js";
import { errorTreeAt, isPlainObject, MSG, setOwn, validateRecord } from "./schema/fields.js";
import { parseDocumentText } from "./text.js";
import type { DeclarativeConfigError, GatewayConfig } from "./types.js";
import { resolveVaultRefs, type VaultResult } from "./vault.js";

export type { PluginLookup } from "./entities/entity.js";

export interface ParseOptions {
  /** Environment for `{vault://env/NAME}` references (default: none resolvable). */
  env?: Record<string, string | undefined>;
  plugins: PluginLookup;
  /**
   * false: references stay as written in the loaded entities (database mode stores them so; the
   * gateway resolves them each time it loads the stored state). Default true.
   */
  resolveVaultReferences?: boolean;
  /**
   * How basic-auth passwords are written: "plain" in a declarative file (the default), "hashed" in
   * database mode's stored state (Kong's salted hash). The loaded configuration says which.
   */
  basicAuthPasswords?: "plain" | "hashed";
  /**
   * true in database mode: plugins that store entities as they run (oauth2) are accepted. Default
   * false (DB-less), where they are refused in Kong's words.
   */
  database?: boolean;
}

export type ParseResult =
  | {
      ok: true;
      config: GatewayConfig;
      /** The document as parsed, before vault resolution (for GET /config, hashing). */
      doc: Record<string, unknown>;
    }
  | { ok: false; error: DeclarativeConfigError };

const FORMAT_VERSIONS = ["1.1", "2.1", "3.0"] as const;
/** `_info` is decK's (select_tags, defaults): decK reads it, Kong never sees it; accepted and ignored. */
const META_KEYS = new Set(["_format_version", "_transform", "_comment", "_ignore", "_workspace", "_info"]);

/** Parse and validate a declarative configuration. Never throws. */
export function parseDeclarativeConfig(input: string | object, opts: ParseOptions): ParseResult {
  try {
    return parseUnsafe(input, opts);
  } catch (e) {
    return {
      ok: false,
      error: documentError(
        `failed loading declarative configuration: ${e instanceof Error ? e.message : String(e)}`,
      ),
    };
  }
}

/** Read `path` and parse it; a missing/unreadable file is a code-14 error too. */
export async function loadDeclarativeFile(path: string, opts: ParseOptions): Promise<ParseResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      error: documentError(`failed reading declarative configuration file '${path}': ${why}`),
    };
  }
  return parseDeclarativeConfig(text, opts);
}

function parseUnsafe(input: string | object, opts: ParseOptions): ParseResult {
  let doc: unknown = input;
  if (typeof input === "string") {
    const parsed = parseDocumentText(input);
    if (!parsed.ok)
      return { ok: false, error: documentError(`failed parsing declarative configuration: ${parsed.error}`) };
    doc = parsed.doc;
  }
  if (!isPlainObject(doc)) {
    return {
      ok: false,
      error: documentError("failed parsing declarative configuration: expected an object"),
    };
  }
  const hash = hashDeclarative(doc);
  // the walk over every string is skipped when the text cannot hold a reference
  const vault: VaultResult =
    opts.resolveVaultReferences === false || (typeof input === "string" && !mayHoldVaultRefs(input))
      ? { doc }
      : resolveVaultRefs(doc, opts.env ?? {});
  const resolved = vault.doc as Record<string, unknown>;
  const loader = new Loader(opts.plugins, opts.database === true);
  const config = loader.load(resolved, vault.error);
  if (!config) return { ok: false, error: declarativeError(loader.errors, doc) };
  config.hash = hash;
  if (opts.basicAuthPasswords === "hashed") config.basicauth_passwords = "hashed";
  return { ok: true, config, doc };
}

/**
 * Could this document text hold a `{vault://…}` reference? No when "vault" appears nowhere
 * and no escape sequence (JSON `\u`, YAML `\x`/`\u`/`\U`) could spell it.
 */
function mayHoldVaultRefs(text: string): boolean {
  return text.includes("vault") || /\\[uxU]/.test(text);
}

/** One validated entity of the document and where it came from. */
interface Node {
  kind: KindName;
  value: Record<string, unknown>;
  /** Path of the entity in the document, e.g. ["services", 0, "routes", 2]. */
  loc: readonly (string | number)[];
  /** Foreign key field set by nesting → parent node. */
  parentRef?: { field: string; node: Node };
  /** Resolved foreign keys: field → referenced node (null when unset). */
  refs: Record<string, Node | null>;
  valid: boolean;
}

class Loader {
  readonly errors: ErrorRecord = {};
  private readonly nodes = Object.fromEntries(KIND_NAMES.map((k) => [k, []])) as unknown as Record<
    KindName,
    Node[]
  >;
  private formatVersion: (typeof FORMAT_VERSIONS)[number] = "3.0";

  constructor(
    private readonly plugins: PluginLookup,
    private readonly database: boolean,
  ) {}

  load(doc: Record<string, unknown>, vaultErrors: ErrorTree | undefined): GatewayConfig | null {
    if (vaultErrors !== undefined) mergeErrors(this.errors, vaultErrors);
    this.readMeta(doc);
    for (const [key, value] of Object.entries(doc)) {
      if (META_KEYS.has(key)) continue;
      if (isKindName(key)) {
        this.readCollection(key, value, [key]);
      } else if (Object.hasOwn(REFUSED_TOP_LEVEL, key)) {
        if (!isEmptyCollection(value)) this.fail([key], REFUSED_TOP_LEVEL[key]!);
      } else if ((OPAQUE_COLLECTIONS as readonly string[]).includes(key)) {
        if (!Array.isArray(value)) this.fail([key], MSG.ARRAY);
        else if (key === "vaults") this.checkVaults(value);
      } else {
        this.fail([key], MSG.UNKNOWN);
      }
    }
    if (Object.keys(this.errors).length > 0) return null;
    this.assignIds();
    this.resolveReferences();
    if (Object.keys(this.errors).length > 0) return null;
    this.assignDependentIds();
    this.checkUniqueness();
    if (Object.keys(this.errors).length > 0) return null;
    return this.assemble();
  }

  private fail(loc: readonly (string | number)[], err: ErrorTree): void {
    mergeErrors(this.errors, errorTreeAt(loc, err));
  }

  /** Vaults stay opaque, but only the open-source one (`env`) may be declared. */
  private checkVaults(vaults: readonly unknown[]): void {
    vaults.forEach((v, i) => {
      if (isPlainObject(v) && typeof v.name === "string" && !OPEN_SOURCE_VAULTS.has(v.name))
        this.fail(["vaults", i, "name"], vaultMsg(v.name));
    });
  }

  private readMeta(doc: Record<string, unknown>): void {
    const v = doc._format_version;
    if (v === undefined || v === null) {
      this.fail(["_format_version"], MSG.REQUIRED);
    } else if (typeof v !== "string") {
      this.fail(["_format_version"], MSG.STRING);
    } else if (!(FORMAT_VERSIONS as readonly string[]).includes(v)) {
      this.fail(["_format_version"], MSG.ONE_OF(FORMAT_VERSIONS));
    } else {
      this.formatVersion = v as (typeof FORMAT_VERSIONS)[number];
    }
    if (doc._transform !== undefined && doc._transform !== null && typeof doc._transform !== "boolean") {
      this.fail(["_transform"], MSG.BOOLEAN);
    }
    if (doc._comment !== undefined && doc._comment !== null && typeof doc._comment !== "string") {
      this.fail(["_comment"], MSG.STRING);
    }
    if (doc._workspace !== undefined && doc._workspace !== null) {
      if (typeof doc._workspace !== "string") this.fail(["_workspace"], MSG.STRING);
      else if (doc._workspace !== OPEN_SOURCE_WORKSPACE) this.fail(["_workspace"], WORKSPACE_MSG);
    }
    if (doc._info !== undefined && doc._info !== null && !isPlainObject(doc._info)) {
      this.fail(["_info"], MSG.RECORD);
    }
  }

  private readCollection(
    kind: KindName,
    value: unknown,
    loc: readonly (string | number)[],
    parent?: { field: string; node: Node },
  ): void {
    if (value === null) return;
    if (isPlainObject(value) && Object.keys(value).length === 0) return;
    if (!Array.isArray(value)) {
      this.fail(loc, MSG.ARRAY);
      return;
    }
    value.forEach((item, i) => {
      this.readEntity(kind, item, [...loc, i], parent);
    });
  }

  private readEntity(
    kind: KindName,
    raw: unknown,
    loc: readonly (string | number)[],
    parent?: { field: string; node: Node },
  ): void {
    const spec = KINDS[kind];
    if (!isPlainObject(raw)) {
      this.fail(loc, raw === null ? MSG.REQUIRED : MSG.RECORD);
      return;
    }
    const own: Record<string, unknown> = {};
    const nested: Array<[KindName, unknown]> = [];
    for (const [k, v] of Object.entries(raw)) {
      if (isKindName(k) && spec.children[k] !== undefined) nested.push([k, v]);
      else setOwn(own, k, v);
    }
    if (this.formatVersion !== "3.0") ENTITIES[kind].upgrade?.(own);
    const checked = checkEntity(kind, own, this.plugins, parent?.field, this.database);
    if (typeof checked.errors === "string") {
      this.fail(loc, checked.errors);
      return;
    }
    const { value, errors: errs } = checked;
    const node: Node = { kind, value, loc, refs: {}, valid: Object.keys(errs).length === 0 };
    if (parent) node.parentRef = parent;
    if (Object.keys(errs).length > 0) this.fail(loc, errs);
    this.nodes[kind].push(node);
    for (const [childKind, childValue] of nested) {
      const field = spec.children[childKind]!;
      this.readCollection(childKind, childValue, [...loc, childKind], { field, node });
    }
  }

  /** Ids from endpoint keys (names, usernames, keys) or generated for entities Kong keys later. */
  private assignIds(): void {
    for (const kind of Object.keys(this.nodes) as KindName[]) {
      const spec = KINDS[kind];
      const generate = ENTITIES[kind].generate;
      for (const node of this.nodes[kind]) {
        generate?.(node.value);
        if (typeof node.value.id === "string") {
          node.value.id = node.value.id.toLowerCase();
          continue;
        }
        const key = spec.endpointKey !== undefined ? node.value[spec.endpointKey] : undefined;
        if (spec.endpointKeyUnique && typeof key === "string") {
          node.value.id = entityId(kind, key);
        } else if (!spec.cacheKey) {
          // Kong would use a random id; a position-derived one keeps reloads stable.
          node.value.id = entityId(kind, `#${node.loc.join("/")}`);
        }
      }
    }
  }

  /** Resolve every foreign key (nesting, or reference by endpoint key or id). */
  private resolveReferences(): void {
    const byKey = new Map<KindName, Map<string, Node>>();
    const byId = new Map<KindName, Map<string, Node>>();
    for (const kind of Object.keys(this.nodes) as KindName[]) {
      const spec = KINDS[kind];
      const keys = new Map<string, Node>();
      const ids = new Map<string, Node>();
      byKey.set(kind, keys);
      byId.set(kind, ids);
      for (const node of this.nodes[kind]) {
        if (typeof node.value.id === "string") ids.set(node.value.id, node);
        const key = spec.endpointKey !== undefined ? node.value[spec.endpointKey] : undefined;
        if (spec.endpointKeyUnique && typeof key === "string" && !keys.has(key)) keys.set(key, node);
      }
    }
    for (const kind of Object.keys(this.nodes) as KindName[]) {
      const spec = KINDS[kind];
      for (const node of this.nodes[kind]) {
        for (const [field, target] of Object.entries(spec.foreign)) {
          if (node.parentRef?.field === field) {
            node.refs[field] = node.parentRef.node;
            continue;
          }
          const ref = node.value[field];
          if (ref === null || ref === undefined) {
            node.refs[field] = null;
            continue;
          }
          const key = referenceKey(ref);
          const found =
            key === null
              ? undefined
              : (byKey.get(target)?.get(key) ?? byId.get(target)?.get(key.toLowerCase()));
          if (found) {
            node.refs[field] = found;
            continue;
          }
          const shown = typeof ref === "string" ? ref : JSON.stringify(ref);
          const at = referenceErrorKey(kind, node);
          const list = this.referenceErrors(kind, at);
          list.set(list.size, `invalid reference '${field}: ${shown}' (no such entry in '${target}')`);
        }
      }
    }
  }

  private referenceErrors(kind: KindName, at: string): ErrorList {
    let section = this.errors[kind];
    if (!isErrorRecord(section)) {
      section = {};
      this.errors[kind] = section;
    }
    let list = section[at];
    if (!(list instanceof ErrorList)) {
      list = new ErrorList();
      setOwn(section, at, list);
    }
    return list;
  }

  /**
   * Ids of the kinds keyed on a cache key (plugins, acls) or on their own id key (targets: target
   * and upstream), once references are resolved — as Kong builds them.
   */
  private assignDependentIds(): void {
    for (const kind of KIND_NAMES) {
      const spec = KINDS[kind];
      if (spec.cacheKey === undefined) continue;
      const idKey = ENTITIES[kind].idKey;
      for (const node of this.nodes[kind]) {
        if (typeof node.value.id === "string") continue;
        if (idKey !== undefined) {
          node.value.id = entityId(kind, idKey(loadedEntity(node)));
          continue;
        }
        const parts: string[] = [kind];
        for (const k of spec.cacheKey) {
          const ref = node.refs[k];
          if (ref !== undefined) parts.push(ref ? String(ref.value.id) : "");
          else parts.push(typeof node.value[k] === "string" ? (node.value[k] as string) : "");
        }
        node.value.id = entityId(kind, parts.join(":"));
      }
    }
  }

  private checkUniqueness(): void {
    for (const kind of Object.keys(this.nodes) as KindName[]) {
      const spec = KINDS[kind];
      const seen = new Map<string, Set<string>>(spec.unique.map((f) => [f, new Set<string>()]));
      const ids = new Set<string>();
      for (const node of this.nodes[kind]) {
        let message: string | null = null;
        for (const field of spec.unique) {
          const v = node.value[field];
          if (typeof v !== "string") continue;
          const values = seen.get(field)!;
          if (values.has(v)) {
            message = `uniqueness violation: '${kind}' entity with ${field} set to '${v}' already declared`;
            break;
          }
          values.add(v);
        }
        const id = String(node.value.id);
        if (message === null) {
          if (ids.has(id))
            message = `uniqueness violation: '${kind}' entity with primary key set to '${id}' already declared`;
          else ids.add(id);
        }
        if (message !== null) this.fail(node.loc, message);
      }
    }
  }

  /** Each entity assembled by its entity file (config/entities/<kind>.ts). */
  private assemble(): GatewayConfig {
    const a = newAssembly();
    const config: Record<string, unknown> = { format_version: this.formatVersion };
    for (const kind of CONFIG_KINDS) {
      const def: EntityDefinition = ENTITIES[kind];
      config[kind] = this.nodes[kind].map((node) => def.assemble(loadedEntity(node), a));
    }
    config.hash = "";
    return config as unknown as GatewayConfig;
  }
}

function loadedEntity(node: Node): LoadedEntity {
  return {
    value: node.value,
    ref: (field) => {
      const ref = node.refs[field];
      return ref ? (ref.value.id as string) : null;
    },
  };
}

/** The helpers of one assembly; lists interned across every entity of the configuration. */
export function newAssembly(): Assembly {
  const interned = new Map<string, string[]>();
  const intern = <T extends string>(list: T[]): T[] => {
    const key = list.join("\u0000");
    let shared = interned.get(key);
    if (shared === undefined) {
      shared = Object.freeze([...list]) as readonly string[] as string[];
      interned.set(key, shared);
    }
    return shared as T[];
  };
  const list = <T extends string>(v: unknown): T[] | null => (Array.isArray(v) ? intern(v as T[]) : null);
  return {
    str: (v) => (typeof v === "string" ? v : null),
    intern,
    list,
    tags: (v) => list<string>(v),
  };
}

/** null, an empty list or an empty object: a collection that declares nothing. */
function isEmptyCollection(v: unknown): boolean {
  return (
    v === null || (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0)
  );
}

function isReference(v: unknown): boolean {
  return (
    typeof v === "string" || (isPlainObject(v) && (typeof v.id === "string" || typeof v.name === "string"))
  );
}

function referenceKey(ref: unknown): string | null {
  if (typeof ref === "string") return ref;
  if (isPlainObject(ref)) {
    if (typeof ref.id === "string") return ref.id;
    if (typeof ref.name === "string") return ref.name;
  }
  return null;
}

/** Kong keys reference errors by the entity's endpoint key, else its id. */
function referenceErrorKey(kind: KindName, node: Node): string {
  const spec = KINDS[kind];
  const key = spec.endpointKey !== undefined ? node.value[spec.endpointKey] : undefined;
  if (typeof key === "string") return key;
  if (typeof node.value.id === "string") return node.value.id;
  if (!spec.cacheKey) return node.loc.join(".");
  // the id Kong generates at this point: its cache key as spelled in the file
  const parts: string[] = [kind];
  for (const k of spec.cacheKey) {
    if (node.parentRef?.field === k) parts.push(String(node.parentRef.node.value.id));
    else parts.push(referenceKey(node.value[k]) ?? "");
  }
  return entityId(kind, parts.join(":"));
}

/** One entity validated: its value with defaults, and its errors (a string: not a record at all). */
export interface CheckedEntity {
  value: Record<string, unknown>;
  errors: ErrorRecord | string;
}

/**
 * Validate one entity of `kind` (its own fields, no nested collections) as the loader does:
 * its schema with defaults, the shape of its foreign keys, and the entity file's own checks
 * (plugins: the name, the scopes the plugin allows, the config through the plugin's schema). `nestedIn` is the
 * foreign key set by the collection it is nested in (the entity must leave it unset); `database`
 * says whether the entity is for database mode. The Admin API checks written entities with it too
 * (as database mode: a DB-less write that would succeed gets Kong's 405 afterwards).
 */
export function checkEntity(
  kind: KindName,
  own: Record<string, unknown>,
  plugins: PluginLookup,
  nestedIn?: string,
  database = true,
): CheckedEntity {
  const spec = KINDS[kind];
  // Kong Enterprise fields, and open-source ones not run here yet, are refused saying so
  const refusedFields = REFUSED_FIELDS[kind];
  const refused: Array<[string, string]> = [];
  let input = own;
  if (refusedFields !== undefined) {
    for (const [field, refusal] of Object.entries(refusedFields)) {
      if (!Object.hasOwn(own, field)) continue;
      if (input === own) input = { ...own };
      const v = own[field];
      const { message, inert } =
        typeof refusal === "string" ? { message: refusal, inert: undefined } : refusal;
      const harmless = inert !== undefined ? inert.some((x) => x === v) : isEmptyCollection(v);
      if (!harmless) refused.push([field, message]);
      delete input[field];
    }
  }
  const result = validateRecord(spec.schema, input);
  const value = (isPlainObject(result.value) ? result.value : {}) as Record<string, unknown>;
  if (typeof result.error === "string") return { value, errors: result.error };
  const errs: ErrorRecord = isErrorRecord(result.error) ? result.error : {};
  for (const [field, message] of refused) setOwn(errs, field, message);
  if (nestedIn !== undefined && own[nestedIn] !== undefined && own[nestedIn] !== null) {
    setOwn(errs, nestedIn, "value must be null");
  }
  for (const field of spec.requiredForeign) {
    if (nestedIn === field) continue;
    if (value[field] === null || value[field] === undefined) {
      if (errs[field] === undefined) setOwn(errs, field, MSG.REQUIRED);
    } else if (!isReference(value[field])) {
      setOwn(errs, field, MSG.STRING);
    }
  }
  for (const field of Object.keys(spec.foreign)) {
    const v = value[field];
    if (v !== null && v !== undefined && !isReference(v) && errs[field] === undefined)
      setOwn(errs, field, MSG.STRING);
  }
  ENTITIES[kind].check?.(value, errs, { plugins, nestedIn, database });
  return { value, errors: errs };
}
