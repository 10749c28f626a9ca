/**
 * The gateway's live state through its Admin API: every entity of every kind, by paginated GETs
 * — the top-level lists, then each upstream's targets and each consumer's credentials (the Admin
 * API lists those only under their parent). With `tag`, only entities carrying it (the Admin
 * API's `tags` filter; nested lists are read under the tagged parents).
 */
import type { KindName } from "../gateway/config/kinds.js";
import type { AdminClient } from "./admin-client.js";
import { type AdminEntity, CREDENTIAL_PATHS, listPath, WRITE_ORDER } from "./collections.js";

export type LiveState = ReadonlyMap<KindName, readonly AdminEntity[]>;

const TOP_LEVEL: readonly KindName[] = ["services", "routes", "upstreams", "consumers", "plugins"];
const CREDENTIALS = Object.keys(CREDENTIAL_PATHS) as KindName[];

export async function readLiveState(client: AdminClient, opts: { tag?: string } = {}): Promise<LiveState> {
  const out = new Map<KindName, AdminEntity[]>();
  const top = await Promise.all(TOP_LEVEL.map((kind) => client.list(listPath(kind), opts.tag)));
  TOP_LEVEL.forEach((kind, i) => {
    out.set(kind, top[i] as AdminEntity[]);
  });
  const nested = async (kind: KindName, parents: readonly AdminEntity[]) => {
    const lists = await Promise.all(parents.map((p) => client.list(listPath(kind, p.id), opts.tag)));
    out.set(kind, lists.flat() as AdminEntity[]);
  };
  await Promise.all([
    nested("targets", out.get("upstreams") ?? []),
    ...CREDENTIALS.map((kind) => nested(kind, out.get("consumers") ?? [])),
  ]);
  return new Map(WRITE_ORDER.map((kind) => [kind, out.get(kind) ?? []]));
}

export function hasTag(entity: Record<string, unknown>, tag: string): boolean {
  return Array.isArray(entity.tags) && entity.tags.includes(tag);
}
