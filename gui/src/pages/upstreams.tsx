/** Upstreams and their targets, with each target's health polled from the balancer. */
import { useState } from "preact/hooks";
import { adminGet, adminWrite, listAll } from "../api.js";
import { DeleteButton, Status, show } from "../components/common.js";
import { EntityEditor } from "../components/entity-editor.js";
import { useLoad } from "../hooks.js";
import type { Entity, TargetHealth } from "../types.js";

const HEALTH_POLL_MS = 2000;

type Editing = { kind: "upstreams"; entity?: Entity } | { kind: "targets"; upstream: Entity };

export function UpstreamsPage({ writable }: { writable: boolean }) {
  const { data, error, reload } = useLoad(() => listAll("upstreams"), []);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [generation, setGeneration] = useState(0);
  const done = () => {
    setEditing(null);
    setGeneration((g) => g + 1);
    reload();
  };
  return (
    <>
      <h2>Upstreams and targets</h2>
      {writable && (
        <p>
          <button type="button" onClick={() => setEditing({ kind: "upstreams" })}>
            New upstream
          </button>
        </p>
      )}
      {editing?.kind === "upstreams" && (
        <EntityEditor
          key={editing.entity?.id ?? "new"}
          kind="upstreams"
          noun="upstream"
          collection="upstreams"
          entity={editing.entity}
          onDone={done}
          onCancel={() => setEditing(null)}
        />
      )}
      {editing?.kind === "targets" && (
        <EntityEditor
          kind="targets"
          noun="target"
          collection={`upstreams/${encodeURIComponent(editing.upstream.id)}/targets`}
          omit={["upstream"]}
          onDone={done}
          onCancel={() => setEditing(null)}
        />
      )}
      <Status error={error} loading={!data} />
      {data?.length === 0 && <p>No upstreams.</p>}
      {data?.map((u) => {
        const name = show(u.name ?? u.id);
        return (
          <section class="card" key={u.id} aria-labelledby={`up-${u.id}`}>
            <h3 id={`up-${u.id}`}>
              Upstream <span class="name">{name}</span>
            </h3>
            <p class="muted">
              algorithm {show(u.algorithm)}, slots {show(u.slots)}
            </p>
            {writable && (
              <p class="actions">
                <button
                  type="button"
                  aria-label={`Edit upstream ${name}`}
                  onClick={() => setEditing({ kind: "upstreams", entity: u })}
                >
                  Edit
                </button>
                <button
                  type="button"
                  aria-label={`New target for upstream ${name}`}
                  onClick={() => setEditing({ kind: "targets", upstream: u })}
                >
                  New target
                </button>
                <DeleteButton
                  label={`upstream ${name}`}
                  onDelete={async () => {
                    await adminWrite("DELETE", `upstreams/${encodeURIComponent(u.id)}`);
                    reload();
                  }}
                />
              </p>
            )}
            <Targets upstream={u} name={name} writable={writable} generation={generation} />
          </section>
        );
      })}
    </>
  );
}

function Targets(props: { upstream: Entity; name: string; writable: boolean; generation: number }) {
  const id = encodeURIComponent(props.upstream.id);
  const { data, error, reload } = useLoad(
    () => adminGet<{ data: TargetHealth[] }>(`upstreams/${id}/health`),
    [id, props.generation],
    HEALTH_POLL_MS,
  );
  if (data?.data.length === 0) return <p class="muted">No targets.</p>;
  return (
    <>
      <Status error={error} loading={!data} />
      {data && (
        <table>
          <caption>Targets of {props.name} (health refreshed every 2 s)</caption>
          <thead>
            <tr>
              <th scope="col">Target</th>
              <th scope="col">Weight</th>
              <th scope="col">Health</th>
              <th scope="col">Addresses</th>
              {props.writable && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {data.data.map((t) => (
              <tr key={t.id} data-target={t.target}>
                <td class="mono">{t.target}</td>
                <td>{t.weight}</td>
                <td>
                  <span class={`health health-${t.health.toLowerCase()}`}>{t.health}</span>
                </td>
                <td class="mono">
                  {(t.data?.addresses ?? []).map((a) => `${a.ip}:${a.port} ${a.health}`).join(", ") || "—"}
                </td>
                {props.writable && (
                  <td>
                    <DeleteButton
                      label={`target ${t.target}`}
                      onDelete={async () => {
                        await adminWrite("DELETE", `upstreams/${id}/targets/${encodeURIComponent(t.id)}`);
                        reload();
                      }}
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
