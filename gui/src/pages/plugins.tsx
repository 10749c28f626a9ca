/**
 * Global plugins (managed in database mode) and the plugin catalogue: every bundled plugin, its
 * priority and phases, its config schema with defaults.
 */
import { useEffect } from "preact/hooks";
import { loadCatalogue } from "../catalogue.js";
import { Status } from "../components/common.js";
import { GlobalPlugins } from "../components/global-plugins.js";
import { controlFor, unwrap } from "../forms/schema.js";
import { useLoad } from "../hooks.js";
import type { JsonSchema } from "../types.js";

interface Row {
  path: string;
  type: string;
  required: boolean;
  default: unknown;
  description: string;
}

function typeText(s: JsonSchema): string {
  const { schema, nullable } = unwrap(s);
  let t: string;
  if (schema.enum) t = `one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`;
  else if (schema.type === "array") t = `array of ${schema.items ? typeText(schema.items) : "any"}`;
  else t = Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type ?? "any");
  return nullable ? `${t} (nullable)` : t;
}

function rows(schema: JsonSchema, prefix = ""): Row[] {
  const required = new Set(schema.required ?? []);
  const out: Row[] = [];
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const path = prefix + name;
    const { schema: inner } = unwrap(field);
    out.push({
      path,
      type: typeText(field),
      required: required.has(name),
      default: field.default ?? inner.default,
      description: field.description ?? inner.description ?? "",
    });
    const control = controlFor(field);
    if (control.kind === "object") out.push(...rows(control.schema, `${path}.`));
  }
  return out;
}

export function PluginsPage({ open, writable }: { open?: string; writable: boolean }) {
  const { data, error } = useLoad(loadCatalogue, []);
  useEffect(() => {
    if (open && data) document.getElementById(`plugin-${open}`)?.scrollIntoView();
  }, [open, data]);
  return (
    <>
      <h2>Plugins</h2>
      <GlobalPlugins writable={writable} />
      <h2>Plugin catalogue</h2>
      <p class="muted">Sorted by priority: a higher priority runs first in each phase.</p>
      <Status error={error} loading={!data} />
      {data?.map((p) => (
        <details key={p.name} id={`plugin-${p.name}`} class="card" open={open === p.name}>
          <summary>
            <strong>{p.name}</strong> — priority {p.priority}; phases {p.phases.join(", ") || "—"}
          </summary>
          <table>
            <caption>Configuration of {p.name}</caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Type</th>
                <th scope="col">Required</th>
                <th scope="col">Default</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {rows(p.schema).map((r) => (
                <tr key={r.path}>
                  <td class="mono">{r.path}</td>
                  <td>{r.type}</td>
                  <td>{r.required ? "yes" : "no"}</td>
                  <td class="mono">{r.default === undefined ? "—" : JSON.stringify(r.default)}</td>
                  <td>{r.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ))}
    </>
  );
}
