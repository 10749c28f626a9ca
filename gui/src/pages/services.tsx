/** Services and their routes (each route links to the plugins that apply to it); forms in database mode. */
import { useState } from "preact/hooks";
import { adminWrite, listAll } from "../api.js";
import { DeleteButton, Status, show } from "../components/common.js";
import { EntityEditor, type EntityEditorProps } from "../components/entity-editor.js";
import { PluginEditor } from "../components/plugin-editor.js";
import { useLoad } from "../hooks.js";
import { href } from "../router.js";
import type { Entity } from "../types.js";

type Editing = Omit<EntityEditorProps, "onDone" | "onCancel">;

function serviceUrl(s: Entity): string {
  const port = s.port === undefined || s.port === null ? "" : `:${s.port}`;
  return `${show(s.protocol)}://${show(s.host)}${port}${typeof s.path === "string" ? s.path : ""}`;
}

const refId = (v: unknown): string | null =>
  v !== null && typeof v === "object" && typeof (v as { id?: unknown }).id === "string"
    ? (v as { id: string }).id
    : null;

export function ServicesPage({ writable }: { writable: boolean }) {
  const { data, error, reload } = useLoad(
    async () => ({ services: await listAll("services"), routes: await listAll("routes") }),
    [],
  );
  const [editing, setEditing] = useState<Editing | null>(null);
  /** the service a plugin is being added to */
  const [pluginFor, setPluginFor] = useState<Entity | null>(null);
  const done = () => {
    setEditing(null);
    reload();
  };
  const routesOf = (id: string | null) => (data?.routes ?? []).filter((r) => refId(r.service) === id);
  const serviceless = routesOf(null);

  return (
    <>
      <h2>Services and routes</h2>
      {writable && (
        <p>
          <button
            type="button"
            onClick={() => setEditing({ kind: "services", noun: "service", collection: "services" })}
          >
            New service
          </button>
        </p>
      )}
      {pluginFor && (
        <PluginEditor
          key={pluginFor.id}
          collection={`services/${encodeURIComponent(pluginFor.id)}/plugins`}
          subject={`service ${show(pluginFor.name ?? pluginFor.id)}`}
          onDone={() => setPluginFor(null)}
          onCancel={() => setPluginFor(null)}
        />
      )}
      {editing && (
        <EntityEditor
          key={JSON.stringify(editing)}
          {...editing}
          onDone={done}
          onCancel={() => setEditing(null)}
        />
      )}
      <Status error={error} loading={!data} />
      {data?.services.length === 0 && <p>No services.</p>}
      {data?.services.map((s) => {
        const name = show(s.name ?? s.id);
        return (
          <section class="card" key={s.id} aria-labelledby={`svc-${s.id}`}>
            <h3 id={`svc-${s.id}`}>
              Service <span class="name">{name}</span>
            </h3>
            <p class="mono">{serviceUrl(s)}</p>
            {writable && (
              <p class="actions">
                <button
                  type="button"
                  aria-label={`Edit service ${name}`}
                  onClick={() =>
                    setEditing({ kind: "services", noun: "service", collection: "services", entity: s })
                  }
                >
                  Edit
                </button>
                <button
                  type="button"
                  aria-label={`New route for service ${name}`}
                  onClick={() =>
                    setEditing({
                      kind: "routes",
                      noun: "route",
                      collection: `services/${encodeURIComponent(s.id)}/routes`,
                      omit: ["service"],
                    })
                  }
                >
                  New route
                </button>
                <button
                  type="button"
                  aria-label={`Add a plugin to service ${name}`}
                  onClick={() => setPluginFor(s)}
                >
                  Add plugin
                </button>
                <DeleteButton
                  label={`service ${name}`}
                  onDelete={async () => {
                    await adminWrite("DELETE", `services/${encodeURIComponent(s.id)}`);
                    reload();
                  }}
                />
              </p>
            )}
            <RoutesTable
              routes={routesOf(s.id)}
              caption={`Routes of ${name}`}
              writable={writable}
              onEdit={(r) => setEditing({ kind: "routes", noun: "route", collection: "routes", entity: r })}
              reload={reload}
            />
          </section>
        );
      })}
      {serviceless.length > 0 && (
        <section class="card" aria-labelledby="svc-none">
          <h3 id="svc-none">Routes without a service</h3>
          <RoutesTable
            routes={serviceless}
            caption="Routes without a service"
            writable={writable}
            onEdit={(r) => setEditing({ kind: "routes", noun: "route", collection: "routes", entity: r })}
            reload={reload}
          />
        </section>
      )}
    </>
  );
}

function RoutesTable(props: {
  routes: Entity[];
  caption: string;
  writable: boolean;
  onEdit: (r: Entity) => void;
  reload: () => void;
}) {
  if (props.routes.length === 0) return <p class="muted">No routes.</p>;
  return (
    <table>
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Route</th>
          <th scope="col">Paths</th>
          <th scope="col">Methods</th>
          <th scope="col">Hosts</th>
          <th scope="col">Protocols</th>
          {props.writable && <th scope="col">Actions</th>}
        </tr>
      </thead>
      <tbody>
        {props.routes.map((r) => {
          const name = show(r.name ?? r.id);
          return (
            <tr key={r.id}>
              <td>
                <a href={href("routes", r.id)}>{name}</a>
              </td>
              <td class="mono">{show(r.paths)}</td>
              <td>{show(r.methods)}</td>
              <td>{show(r.hosts)}</td>
              <td>{show(r.protocols)}</td>
              {props.writable && (
                <td class="actions">
                  <button type="button" aria-label={`Edit route ${name}`} onClick={() => props.onEdit(r)}>
                    Edit
                  </button>
                  <DeleteButton
                    label={`route ${name}`}
                    onDelete={async () => {
                      await adminWrite("DELETE", `routes/${encodeURIComponent(r.id)}`);
                      props.reload();
                    }}
                  />
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
