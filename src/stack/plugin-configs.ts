import { z } from "zod";
import { loadPluginRegistry } from "../gateway/plugins/registry.js";
import type { PluginDefinition } from "../gateway/plugins/types.js";
import type { IssueDraft } from "./issues.js";
import type { JsonSchemaNode } from "./json-schema.js";
import { pluginScopesOf } from "./model.js";
import type { StackConfig } from "./schema.js";
import { effectivePluginConfig } from "./shared-state.js";
import type { KeyPath } from "./yaml-source.js";
import { draftsFromZod, prefixDrafts } from "./zod-issues.js";

/**
 * Check every plugin's `config` — as gateway.yaml will carry it (shared-state.ts: the stack's
 * Redis filled in) — against the gateway plugin's own schema (the one the gateway validates
 * gateway.yaml with), and the scopes it may be applied on. Loads the bundled plugins, so
 * `stack validate` uses it rather than every loadStack().
 */
export async function pluginConfigChecks(stack: StackConfig): Promise<IssueDraft[]> {
  const registry = await loadPluginRegistry();
  const drafts: IssueDraft[] = [];
  for (const { path, plugins } of pluginScopesOf(stack)) {
    const scope = scopeOf(path);
    plugins.forEach((plugin, i) => {
      const definition = registry.get(plugin.name);
      if (!definition) return; // a bundled name whose handler this build does not ship: nothing to check against
      if (scope !== "global" && definition.forbiddenScopes?.includes(scope)) {
        drafts.push({
          path: [...path, i, "name"],
          message: `plugin "${plugin.name}" cannot be applied to a ${scope}`,
        });
      }
      const parsed = definition.configSchema.safeParse(effectivePluginConfig(stack, plugin), {
        reportInput: true,
      });
      if (!parsed.success) {
        drafts.push(
          ...prefixDrafts(
            [...path, i, "config"],
            draftsFromZod(parsed.error.issues, configJsonSchema(definition)),
          ),
        );
      }
    });
  }
  return drafts;
}

function scopeOf(path: KeyPath): "global" | "service" | "route" | "consumer" {
  if (path[0] === "consumers") return "consumer";
  if (path[0] === "gateway") return "global";
  return path[2] === "routes" ? "route" : "service";
}

const jsonSchemas = new Map<string, JsonSchemaNode>();

function configJsonSchema(definition: PluginDefinition): JsonSchemaNode {
  let schema = jsonSchemas.get(definition.name);
  if (!schema) {
    try {
      schema = z.toJSONSchema(definition.configSchema, {
        io: "input",
        unrepresentable: "any",
      }) as JsonSchemaNode;
    } catch {
      schema = {};
    }
    jsonSchemas.set(definition.name, schema);
  }
  return schema;
}
