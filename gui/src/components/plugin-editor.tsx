/** Adds a plugin: pick it from the catalogue, then a form generated from its config schema. */
import { useState } from "preact/hooks";
import { adminWrite } from "../api.js";
import { loadCatalogue } from "../catalogue.js";
import { SchemaForm } from "../forms/schema-form.js";
import { useLoad } from "../hooks.js";
import type { JsonSchema } from "../types.js";
import { Status } from "./common.js";

export function PluginEditor(props: { collection: string; onDone: () => void; onCancel: () => void }) {
  const catalogue = useLoad(loadCatalogue, []);
  const [name, setName] = useState("");
  const entry = catalogue.data?.find((p) => p.name === name);
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
    <div class="plugin-editor">
      <Status error={catalogue.error} loading={!catalogue.data} />
      {catalogue.data && (
        <div class="field">
          <label for="new-plugin-name">Plugin</label>
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
          key={name}
          id={`plugin-${name}`}
          title={`Configure ${name}`}
          schema={schema}
          value={{}}
          editing={false}
          submitLabel={`Add ${name}`}
          onSubmit={async (body) => {
            await adminWrite("POST", props.collection, { name, ...body });
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
