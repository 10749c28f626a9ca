/**
 * Global plugins (on no service, route or consumer: they apply to every request): listed with
 * their priority and state; in database mode added from the catalogue through its schema form,
 * edited, enabled or disabled, deleted.
 */
import { useRef, useState } from "preact/hooks";
import { adminWrite, errorText, listAll } from "../api.js";
import { loadCatalogue } from "../catalogue.js";
import { isGlobalPlugin } from "../credentials.js";
import { useFocusReturn, useLoad } from "../hooks.js";
import type { Entity } from "../types.js";
import { DeleteButton, Status, show } from "./common.js";
import { PluginEditor } from "./plugin-editor.js";

export function GlobalPlugins({ writable }: { writable: boolean }) {
  const { data, error, reload } = useLoad(async () => {
    const [plugins, catalogue] = await Promise.all([listAll("plugins"), loadCatalogue().catch(() => [])]);
    const priority = new Map(catalogue.map((p) => [p.name, p.priority]));
    return plugins
      .filter(isGlobalPlugin)
      .map((p) => ({ plugin: p, priority: priority.get(String(p.name)) }))
      .sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0));
  }, []);
  const [editing, setEditing] = useState<Entity | "new" | null>(null);
  const [toggleError, setToggleError] = useState<string | null>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const remember = useFocusReturn(editing !== null, addButton);
  const edit = (e: Entity | "new") => {
    remember();
    setEditing(e);
  };
  const done = () => {
    setEditing(null);
    reload();
  };
  const toggle = (p: Entity) => {
    setToggleError(null);
    adminWrite("PATCH", `plugins/${encodeURIComponent(p.id)}`, { enabled: p.enabled === false }).then(
      reload,
      (err: unknown) => setToggleError(errorText(err)),
    );
  };
  return (
    <section class="card" aria-labelledby="global-plugins">
      <h3 id="global-plugins">Global plugins</h3>
      <p class="muted">On no service, route or consumer: they run for every request.</p>
      <Status error={error} loading={!data} />
      <Status error={toggleError} loading={false} />
      {data?.length === 0 && <p>No global plugins.</p>}
      {data && data.length > 0 && (
        <table>
          <caption>Global plugins (highest priority runs first)</caption>
          <thead>
            <tr>
              <th scope="col">Plugin</th>
              <th scope="col">Priority</th>
              <th scope="col">Enabled</th>
              {writable && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {data.map(({ plugin: p, priority }) => {
              const name = show(p.name);
              const enabled = p.enabled !== false;
              return (
                <tr key={p.id}>
                  <td>{name}</td>
                  <td>{show(priority)}</td>
                  <td>{enabled ? "yes" : "no"}</td>
                  {writable && (
                    <td class="actions">
                      <button type="button" aria-label={`Edit global plugin ${name}`} onClick={() => edit(p)}>
                        Edit
                      </button>
                      <button
                        type="button"
                        aria-label={`${enabled ? "Disable" : "Enable"} global plugin ${name}`}
                        onClick={() => toggle(p)}
                      >
                        {enabled ? "Disable" : "Enable"}
                      </button>
                      <DeleteButton
                        label={`global plugin ${name}`}
                        onDelete={async () => {
                          await adminWrite("DELETE", `plugins/${encodeURIComponent(p.id)}`);
                          reload();
                        }}
                      />
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {writable && editing !== null && (
        <PluginEditor
          key={editing === "new" ? "new" : editing.id}
          collection="plugins"
          subject={editing === "new" ? "every request" : undefined}
          plugin={editing === "new" ? undefined : editing}
          onDone={done}
          onCancel={() => setEditing(null)}
        />
      )}
      {writable && editing === null && (
        <button type="button" ref={addButton} onClick={() => edit("new")}>
          Add a global plugin
        </button>
      )}
    </section>
  );
}
