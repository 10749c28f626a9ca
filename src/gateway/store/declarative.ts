/**
 * The configuration store of DB-less mode (`database = off`, Kong's DB-less): one declarative
 * document, given at start and replaced whole by `POST /config` or a reload. It keeps the source as
 * given — text stays compact text, parsed again only when the document is asked for (GET /config) —
 * and a version bumped by every replacement. The PostgreSQL store is the other implementation.
 */
import { isPlainObject } from "../config/schema/fields.js";
import { parseDocumentText } from "../config/text.js";
import type { ConfigStore, StoredState } from "./types.js";

export type DeclarativeSource = string | Record<string, unknown>;

export class DeclarativeStore implements ConfigStore {
  readonly mode = "off" as const;
  private source: DeclarativeSource | null = null;
  private version = 0;
  private readonly listeners = new Set<() => void>();

  /** The document now served replaces the previous one (after it loaded: nothing invalid is kept). */
  replace(source: DeclarativeSource): string {
    this.source = source;
    this.version++;
    for (const l of this.listeners) l();
    return String(this.version);
  }

  /** The served document as parsed (before vault references are resolved); null before the first. */
  document(): Record<string, unknown> | null {
    const source = this.source;
    if (typeof source !== "string") return source;
    const parsed = parseDocumentText(source);
    return parsed.ok && isPlainObject(parsed.doc) ? parsed.doc : null;
  }

  async load(): Promise<StoredState | null> {
    const document = this.document();
    return document === null ? null : { document, version: String(this.version), timestamps: new Map() };
  }

  watch(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  health(): null {
    return null;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
