/**
 * Adds a plugin (pick it from the catalogue) or edits one, through a form generated from the
 * plugin's config schema (`/gui-api/plugin-catalogue`).
 */
import { useRef, useState } from "preact/hooks";
import { adminWrite } from "../api.js";
import { loadCatalogue } from "../catalogue.js";
import { SchemaForm } from "../forms/schema-form.js";
import { useFocusFirst, useLoad } from "../hooks.js";
import type { Entity, JsonSchema } from "../types.js";
import { Status } from "./common.js";

export interface PluginEditorProps {
  /** where a new plugin is POSTed (`routes/<id>/plugins`…) */
  collection: string;
  /** what the plugin is added to, for the form's title ("service orders") */
  subject?: string;
  /** the plugin to edit (PATCH `plugins/<id>`); absent to add one */
  plugin?: Entity;
  onDone: () => void;
  onCancel: () => void;
}

export function PluginEditor(props: PluginEditorProps) {
  const catalogue = useLoad(loadCatalogue, []);
  const [chosen, setName] = useState("");
  const editing = props.plugin;
  const name = editing ? String(editing.name) : chosen;
  const entry = catalogue.data?.find((p) => p.name === name);
  const box = useRef<HTMLDivElement>(null);
  useFocusFirst(box, catalogue.data !== undefined);
  const schema: JsonSchema | null = entry
    ? {
        type: "object",
        properties: {
          enabled: { type: "boolean", default: true, description: "Whether the plugin runs" },
          config: entry.schema,
        },
      }
    : null;
  return (
    <div class="plugin-editor" ref={box}>
      <Status error={catalogue.error} loading={!catalogue.data} />
      {catalogue.data && !editing && (
        <div class="field">
          <label for="new-plugin-name">Plugin{props.subject ? ` for ${props.subject}` : ""}</label>
          <select id="new-plugin-name" value={name} onChange={(e) => setName(e.currentTarget.value)}>
            <option value="">Choose a plugin…</option>
            {catalogue.data.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name} (priority {p.priority})
              </option>
            ))}
          </select>
        </div>
      )}
      {schema && (
        <SchemaForm
          key={editing ? editing.id : name}
          id={`plugin-${editing ? editing.id : name}`}
          title={
            editing ? `Edit ${name}` : `Configure ${name}${props.subject ? ` for ${props.subject}` : ""}`
          }
          schema={schema}
          value={editing ?? {}}
          editing={editing !== undefined}
          submitLabel={editing ? `Save ${name}` : `Add ${name}`}
          onSubmit={async (body) => {
            if (editing) await adminWrite("PATCH", `plugins/${encodeURIComponent(editing.id)}`, body);
            else await adminWrite("POST", props.collection, { name, ...body });
            props.onDone();
          }}
          onCancel={props.onCancel}
        />
      )}
      {!schema && (
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      )}
    </div>
  );
}
