/**
 * `stack gateway sync` and `stack gateway dump` as functions: a declarative file made the
 * gateway's state for the entities carrying the select tag (decK's approach), and the live
 * state written back as a declarative document. The command modules only parse flags and print.
 */

import { GatestackError } from "../errors.js";
import type { KindName } from "../gateway/config/kinds.js";
import type { PluginLookup } from "../gateway/config/load.js";
import { AdminClient } from "./admin-client.js";
import { applyPlan } from "./apply.js";
import { desiredState, readDeclarativeFile } from "./desired.js";
import { type DumpDocument, dumpDocument } from "./dump.js";
import { readLiveState } from "./live-state.js";
import { type ChangeAction, planSync, type SyncPlan } from "./plan.js";

export const DEFAULT_ADMIN_URL = "http://127.0.0.1:8001";
export const DEFAULT_SELECT_TAG = "gatestack-managed";

export interface AdminTarget {
  adminUrl: string;
  adminToken?: string | undefined;
}

export interface SyncOptions extends AdminTarget {
  /** the declarative file (its path names it in errors) */
  file: string;
  /** its text; read from `file` when absent */
  text?: string;
  selectTag: string;
  dryRun: boolean;
  plugins: PluginLookup;
}

export interface SyncChangeView {
  action: ChangeAction;
  kind: KindName;
  id: string;
  label: string;
  fields?: string[];
}

export interface SyncResult {
  dryRun: boolean;
  selectTag: string;
  changes: SyncChangeView[];
  summary: { create: number; update: number; delete: number; unchanged: number };
  /** Admin API writes sent (0 on a dry run, and on a sync with nothing to change) */
  writes: number;
}

export async function syncGateway(opts: SyncOptions): Promise<SyncResult> {
  return syncThrough(new AdminClient({ url: opts.adminUrl, token: opts.adminToken }), opts);
}

/** The sync through a given client (`stack gateway sync` in a stack folder: inside a replica). */
export async function syncThrough(
  client: AdminClient,
  opts: Omit<SyncOptions, keyof AdminTarget>,
): Promise<SyncResult> {
  const text = opts.text ?? (await readDeclarativeFile(opts.file));
  const desired = desiredState(text, { tag: opts.selectTag, plugins: opts.plugins, place: opts.file });
  await requireDatabaseMode(client);
  const live = await readLiveState(client);
  const plan = planSync(desired, live, opts.selectTag);
  if (plan.conflicts.length > 0) throw conflictError(plan, opts.selectTag);
  if (!opts.dryRun) await applyPlan(client, plan.changes);
  return {
    dryRun: opts.dryRun,
    selectTag: opts.selectTag,
    changes: plan.changes.map(({ action, kind, id, label, fields }) => ({
      action,
      kind,
      id,
      label,
      ...(fields ? { fields } : {}),
    })),
    summary: {
      create: count(plan, "create"),
      update: count(plan, "update"),
      delete: count(plan, "delete"),
      unchanged: plan.unchanged,
    },
    writes: client.writes,
  };
}

export interface DumpOptions extends AdminTarget {
  /** only entities carrying this tag */
  selectTag?: string | undefined;
  /** the client to read through (a stack's replica: inside its container); default: adminUrl's */
  client?: AdminClient;
}

export async function dumpGateway(opts: DumpOptions): Promise<DumpDocument> {
  const client = opts.client ?? new AdminClient({ url: opts.adminUrl, token: opts.adminToken });
  const live = await readLiveState(client, opts.selectTag === undefined ? {} : { tag: opts.selectTag });
  return dumpDocument(live);
}

/** A DB-less gateway refuses entity writes (405): say so before planning, naming what works there. */
async function requireDatabaseMode(client: AdminClient): Promise<void> {
  const root = await client.send("GET", "/");
  const database = (root.body as { configuration?: { database?: unknown } } | null)?.configuration?.database;
  if (root.status === 200 && database === "off") {
    throw new GatestackError(
      "E_GATEWAY_ADMIN",
      "the gateway is DB-less (database off): its entities cannot be written one by one",
      {
        place: client.base,
        hint: "sync a gateway in database mode (`stack gateway serve --database postgres`); a DB-less gateway takes a whole file through POST /config",
      },
    );
  }
}

function count(plan: SyncPlan, action: ChangeAction): number {
  return plan.changes.filter((c) => c.action === action).length;
}

function conflictError(plan: SyncPlan, tag: string): GatestackError {
  const first = plan.conflicts[0]!;
  const more = plan.conflicts.length > 1 ? ` (and ${plan.conflicts.length - 1} more)` : "";
  return new GatestackError("E_SYNC_CONFLICT", `${first.label} (${first.id}): ${first.reason}${more}`, {
    hint: `nothing was written; entities without the tag '${tag}' are never changed — rename the file's entity, or tag or remove the gateway's`,
    data: { conflicts: plan.conflicts },
  });
}
