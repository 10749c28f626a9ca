import type { AdminRequest, AdminResponse, AdminRouteRegistrar } from "./plugins/types.js";

type Handler = (req: AdminRequest) => AdminResponse | Promise<AdminResponse>;

interface Entry {
  method: string;
  segments: string[];
  handler: Handler;
}

/** Admin API routes registered by plugins (e.g. proxy-cache purge), per loaded config. */
export class AdminRouteTable implements AdminRouteRegistrar {
  private readonly entries: Entry[] = [];

  add(method: "GET" | "DELETE" | "POST", path: string, handler: Handler): void {
    this.entries.push({ method, segments: split(path), handler });
  }

  /** Find a handler for a method + path; `params` holds the `:name` segments. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | null {
    const parts = split(path);
    for (const e of this.entries) {
      if (e.method !== method || e.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = e.segments[i]!;
        const part = parts[i]!;
        if (seg.startsWith(":")) params[seg.slice(1)] = safeDecode(part);
        else if (seg !== part) {
          ok = false;
          break;
        }
      }
      if (ok) return { handler: e.handler, params };
    }
    return null;
  }

  get size(): number {
    return this.entries.length;
  }
}

function split(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
