/** One route: its fields and the plugins that apply to it, in execution order, with scope. */
import { useState } from "preact/hooks";
import { adminGet, adminWrite, errorText, get } from "../api.js";
import { DeleteButton, Status, show } from "../components/common.js";
import { PluginEditor } from "../components/plugin-editor.js";
import { useLoad } from "../hooks.js";
import { href } from "../router.js";
import type { Entity, PluginsApplying } from "../types.js";

const SHOWN = [
  "id",
  "name",
  "protocols",
  "methods",
  "hosts",
  "paths",
  "headers",
  "strip_path",
  "preserve_host",
  "service",
  "tags",
];

export function RoutePage({ id, writable }: { id: string; writable: boolean }) {
  const route = useLoad(() => adminGet<Entity>(`routes/${encodeURIComponent(id)}`), [id]);
  const applying = useLoad(
    () => get<PluginsApplying>(`gui-api/plugins-applying?route=${encodeURIComponent(id)}`),
    [id],
  );
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Entity | null>(null);
  const [editError, setEditError] = useState<string | null>(null);
  const edit = (pluginId: string) => {
    setEditError(null);
    adminGet<Entity>(`plugins/${encodeURIComponent(pluginId)}`).then(setEditing, (err: unknown) =>
      setEditError(errorText(err)),
    );
  };
  const r = route.data;
  return (
    <>
      <p>
        <a href={href("services")}>← Services and routes</a>
      </p>
      <h2>Route {r ? show(r.name ?? r.id) : id}</h2>
      {applying.data?.service && (
        <p>
          Service: <strong>{applying.data.service.name ?? applying.data.service.id}</strong>
        </p>
      )}
      <Status error={route.error} loading={!r} />
      {r && (
        <dl class="fields">
          {SHOWN.filter((k) => r[k] !== undefined).map((k) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd class="mono">{show(r[k])}</dd>
            </div>
          ))}
        </dl>
      )}
      <section class="card" aria-labelledby="applying">
        <h3 id="applying">Plugins that apply, in execution order</h3>
        <Status error={applying.error} loading={!applying.data} />
        {applying.data?.plugins.length === 0 && <p>No plugins apply to this route.</p>}
        {applying.data && applying.data.plugins.length > 0 && (
          <table>
            <caption>Plugins applying to this route (highest priority runs first)</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Plugin</th>
                <th scope="col">Priority</th>
                <th scope="col">Scope</th>
                <th scope="col">Enabled</th>
                {writable && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {applying.data.plugins.map((p, i) => (
                <tr key={p.id}>
                  <td>{i + 1}</td>
                  <td>
                    <a href={href("plugins", p.name)}>{p.name}</a>
                  </td>
                  <td>{p.priority}</td>
                  <td>
                    {p.scope}
                    {p.consumer ? (
                      <span class="muted"> (only for consumer {p.consumer.username ?? p.consumer.id})</span>
                    ) : null}
                  </td>
                  <td>{p.enabled ? "yes" : "no"}</td>
                  {writable && (
                    <td class="actions">
                      <button type="button" aria-label={`Edit plugin ${p.name}`} onClick={() => edit(p.id)}>
                        Edit
                      </button>
                      <DeleteButton
                        label={`plugin ${p.name}`}
                        onDelete={async () => {
                          await adminWrite("DELETE", `plugins/${encodeURIComponent(p.id)}`);
                          applying.reload();
                        }}
                      />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Status error={editError} loading={false} />
        {writable && editing && (
          <PluginEditor
            key={editing.id}
            collection="plugins"
            plugin={editing}
            onDone={() => {
              setEditing(null);
              applying.reload();
            }}
            onCancel={() => setEditing(null)}
          />
        )}
        {writable && !adding && (
          <button type="button" onClick={() => setAdding(true)}>
            Add a plugin to this route
          </button>
        )}
        {writable && adding && (
          <PluginEditor
            collection={`routes/${encodeURIComponent(id)}/plugins`}
            onDone={() => {
              setAdding(false);
              applying.reload();
            }}
            onCancel={() => setAdding(false)}
          />
        )}
      </section>
    </>
  );
}
