/**
 * A radix (compressed prefix) tree of route ranks keyed by literal path prefixes.
 * `collect(path)` walks the path once and returns the ranks of every key that is a prefix
 * of it — O(path length), no allocation per step, whatever the number of routes.
 */
interface RadixNode {
  /** edge label from the parent (the root's is "") */
  label: string;
  children: Map<number, RadixNode> | null;
  /** ranks of routes whose key ends exactly here */
  ranks: number[] | null;
}

function commonLength(label: string, key: string, from: number): number {
  const max = Math.min(label.length, key.length - from);
  let i = 0;
  while (i < max && label.charCodeAt(i) === key.charCodeAt(from + i)) i++;
  return i;
}

export class RadixTree {
  private readonly root: RadixNode = { label: "", children: null, ranks: null };

  add(key: string, rank: number): void {
    let node = this.root;
    let pos = 0;
    for (;;) {
      if (pos === key.length) {
        node.ranks ??= [];
        if (node.ranks[node.ranks.length - 1] !== rank) node.ranks.push(rank);
        return;
      }
      const c = key.charCodeAt(pos);
      node.children ??= new Map();
      const child = node.children.get(c);
      if (!child) {
        node.children.set(c, { label: key.slice(pos), children: null, ranks: [rank] });
        return;
      }
      const common = commonLength(child.label, key, pos);
      if (common < child.label.length) {
        // split the edge: node → mid (common part) → child (rest)
        const mid: RadixNode = { label: child.label.slice(0, common), children: new Map(), ranks: null };
        child.label = child.label.slice(common);
        mid.children!.set(child.label.charCodeAt(0), child);
        node.children.set(c, mid);
        node = mid;
      } else {
        node = child;
      }
      pos += common;
    }
  }

  /** Append to `out` the ranks of every key that prefixes `path` (shorter keys first). */
  collect(path: string, out: number[]): void {
    let node = this.root;
    if (node.ranks) for (const r of node.ranks) out.push(r);
    let pos = 0;
    while (pos < path.length && node.children !== null) {
      const child = node.children.get(path.charCodeAt(pos));
      if (!child || !path.startsWith(child.label, pos)) return;
      pos += child.label.length;
      node = child;
      if (node.ranks) for (const r of node.ranks) out.push(r);
    }
  }
}
