/** Test helpers: a GatewayConfig from a declarative document through the real loader. */
import { z } from "zod";
import { type PluginLookup, parseDeclarativeConfig } from "../../../src/gateway/config/load.js";
import type { GatewayConfig } from "../../../src/gateway/config/types.js";
import type { PluginDefinition } from "../../../src/gateway/plugins/types.js";

/** A fake plugin with a small strict config schema (tests of plugin entries). */
export function fakePlugin(
  name: string,
  extra: Partial<PluginDefinition> = {},
  schema: z.ZodType<Record<string, unknown>> = z
    .object({
      key_names: z.array(z.string()).default(["apikey"]).describe("header/query names"),
      hide_credentials: z.boolean().default(false),
      minute: z.number().int().min(0).optional(),
      redis: z.object({ host: z.string().optional(), password: z.string().optional() }).strict().default({}),
    })
    .strict(),
): PluginDefinition {
  return { name, priority: 1000, version: "1.0.0", configSchema: schema, create: () => ({}), ...extra };
}

export const FAKE_PLUGINS: PluginDefinition[] = [
  fakePlugin("key-auth", { forbiddenScopes: ["consumer"] }),
  fakePlugin("rate-limiting"),
  fakePlugin("cors"),
];

export const fakeLookup: PluginLookup = (name) => FAKE_PLUGINS.find((p) => p.name === name);

export function loadConfig(doc: object, env: Record<string, string> = {}): GatewayConfig {
  const r = parseDeclarativeConfig(doc, { plugins: fakeLookup, env });
  if (!r.ok) throw new Error(`config invalid: ${r.error.message}`);
  return r.config;
}

/** A document with one service per route, routes given as Kong route objects. */
export function routesDoc(routes: Array<Record<string, unknown>>): object {
  return {
    _format_version: "3.0",
    services: routes.map((r, i) => ({
      name: `s${i}`,
      host: `upstream-${i}.test`,
      routes: [{ name: `r${i}`, ...r }],
    })),
  };
}
