/**
 * Consumers, their credentials (listed by kind and id — never a key, password or secret) and their
 * own plugins; in database mode forms to create and delete credentials, generated from the
 * credential kinds' entity schemas, and to add consumer-scoped plugins.
 */
import { useState } from "preact/hooks";
import { adminWrite, listAll } from "../api.js";
import { loadEntitySchemas } from "../catalogue.js";
import { DeleteButton, Status, show } from "../components/common.js";
import { EntityEditor } from "../components/entity-editor.js";
import { PluginEditor } from "../components/plugin-editor.js";
import { type CredentialKind, credentialKinds, revealedSecrets } from "../credentials.js";
import { useLoad } from "../hooks.js";
import { href } from "../router.js";
import type { Entity } from "../types.js";

interface Credential {
  kind: CredentialKind;
  id: string;
}

async function credentialsOf(consumer: string, kinds: CredentialKind[]): Promise<Credential[]> {
  const lists = await Promise.all(
    kinds.map(async (kind) => {
      const found = await listAll(`consumers/${encodeURIComponent(consumer)}/${kind.segment}`).catch(
        () => [],
      );
      return found.map((c) => ({ kind, id: c.id }));
    }),
  );
  return lists.flat();
}

/** What a form is open for: the consumer itself, a credential of it, or a plugin on it. */
type Editing =
  | { what: "consumer"; entity?: Entity }
  | { what: "credential"; consumer: Entity }
  | { what: "plugin"; consumer: Entity };

/** The outcome of a credential's creation, shown once above the list. */
interface Created {
  noun: string;
  consumer: string;
  id: string;
  secrets: Array<{ field: string; value: string }>;
}

const nameOf = (c: Entity): string => show(c.username ?? c.custom_id ?? c.id);

export function ConsumersPage({ writable }: { writable: boolean }) {
  const { data, error, reload } = useLoad(async () => {
    const schemas = await loadEntitySchemas().catch(() => undefined);
    const kinds = credentialKinds(schemas);
    const consumers = await listAll("consumers");
    const rows = await Promise.all(
      consumers.map(async (c) => ({
        consumer: c,
        credentials: await credentialsOf(c.id, kinds),
        plugins: await listAll(`consumers/${encodeURIComponent(c.id)}/plugins`).catch(() => []),
      })),
    );
    return { kinds, rows };
  }, []);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const open = (e: Editing | null) => {
    setCreated(null);
    setEditing(e);
  };
  const done = () => {
    setEditing(null);
    reload();
  };
  return (
    <>
      <h2>Consumers</h2>
      {writable && (
        <p>
          <button type="button" onClick={() => open({ what: "consumer" })}>
            New consumer
          </button>
        </p>
      )}
      {writable && editing?.what === "consumer" && (
        <EntityEditor
          key={editing.entity?.id ?? "new"}
          kind="consumers"
          noun="consumer"
          collection="consumers"
          entity={editing.entity}
          onDone={done}
          onCancel={() => setEditing(null)}
        />
      )}
      {writable && editing?.what === "credential" && data && (
        <CredentialForm
          key={editing.consumer.id}
          consumer={editing.consumer}
          kinds={data.kinds}
          onCreated={(c) => {
            setCreated(c);
            done();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      {writable && editing?.what === "plugin" && (
        <PluginEditor
          key={editing.consumer.id}
          collection={`consumers/${encodeURIComponent(editing.consumer.id)}/plugins`}
          subject={`consumer ${nameOf(editing.consumer)}`}
          onDone={done}
          onCancel={() => setEditing(null)}
        />
      )}
      {created && <CreatedNote created={created} onDismiss={() => setCreated(null)} />}
      <Status error={error} loading={!data} />
      {data?.rows.length === 0 && <p>No consumers.</p>}
      {data && data.rows.length > 0 && (
        <table>
          <caption>Consumers, their credentials (secrets are never shown) and their plugins</caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Custom id</th>
              <th scope="col">Credentials (kind: id)</th>
              <th scope="col">Plugins</th>
              {writable && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {data.rows.map(({ consumer: c, credentials, plugins }) => {
              const name = nameOf(c);
              return (
                <tr key={c.id}>
                  <td>{show(c.username)}</td>
                  <td>{show(c.custom_id)}</td>
                  <td>
                    {credentials.length === 0 ? (
                      "—"
                    ) : (
                      <ul class="plain">
                        {credentials.map((k) => (
                          <li key={k.id}>
                            <span class="badge">{k.kind.segment}</span> <span class="mono">{k.id}</span>
                            {writable && (
                              <>
                                {" "}
                                <DeleteButton
                                  label={`${k.kind.noun} ${k.id} of consumer ${name}`}
                                  onDelete={async () => {
                                    await adminWrite(
                                      "DELETE",
                                      `consumers/${encodeURIComponent(c.id)}/${k.kind.segment}/${encodeURIComponent(k.id)}`,
                                    );
                                    reload();
                                  }}
                                />
                              </>
                            )}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>
                    {plugins.length === 0 ? (
                      "—"
                    ) : (
                      <ul class="plain">
                        {plugins.map((p) => (
                          <li key={p.id}>
                            <a href={href("plugins", String(p.name))}>{show(p.name)}</a>
                            {p.enabled === false ? <span class="muted"> (disabled)</span> : null}
                            {writable && (
                              <>
                                {" "}
                                <DeleteButton
                                  label={`plugin ${show(p.name)} of consumer ${name}`}
                                  onDelete={async () => {
                                    await adminWrite("DELETE", `plugins/${encodeURIComponent(p.id)}`);
                                    reload();
                                  }}
                                />
                              </>
                            )}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  {writable && (
                    <td class="actions">
                      <button
                        type="button"
                        aria-label={`Edit consumer ${name}`}
                        onClick={() => open({ what: "consumer", entity: c })}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        aria-label={`Add a credential to consumer ${name}`}
                        onClick={() => open({ what: "credential", consumer: c })}
                      >
                        Add credential
                      </button>
                      <button
                        type="button"
                        aria-label={`Add a plugin to consumer ${name}`}
                        onClick={() => open({ what: "plugin", consumer: c })}
                      >
                        Add plugin
                      </button>
                      <DeleteButton
                        label={`consumer ${name}`}
                        onDelete={async () => {
                          await adminWrite("DELETE", `consumers/${encodeURIComponent(c.id)}`);
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
    </>
  );
}

/** Pick a credential kind, then its form generated from the kind's entity schema. */
function CredentialForm(props: {
  consumer: Entity;
  kinds: CredentialKind[];
  onCreated: (c: Created) => void;
  onCancel: () => void;
}) {
  const [segment, setSegment] = useState("");
  const kind = props.kinds.find((k) => k.segment === segment);
  const name = nameOf(props.consumer);
  const selectId = `credential-kind-${props.consumer.id}`;
  return (
    <div class="credential-editor">
      <div class="field">
        <label for={selectId}>Credential kind for consumer {name}</label>
        <select id={selectId} value={segment} onChange={(e) => setSegment(e.currentTarget.value)}>
          <option value="">Choose a kind…</option>
          {props.kinds.map((k) => (
            <option key={k.segment} value={k.segment}>
              {k.segment}
            </option>
          ))}
        </select>
      </div>
      {kind ? (
        <EntityEditor
          key={kind.segment}
          kind={kind.kind}
          noun={kind.noun}
          collection={`consumers/${encodeURIComponent(props.consumer.id)}/${kind.segment}`}
          omit={["consumer"]}
          onDone={(saved) =>
            props.onCreated({
              noun: kind.noun,
              consumer: name,
              id: saved.id,
              secrets: revealedSecrets(saved),
            })
          }
          onCancel={props.onCancel}
        />
      ) : (
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      )}
    </div>
  );
}

/** The created credential's id, and a secret only when the Admin API answered it in clear — once. */
function CreatedNote({ created, onDismiss }: { created: Created; onDismiss: () => void }) {
  return (
    <div class="notice" role="status">
      <p>
        Created {created.noun} <span class="mono">{created.id}</span> for consumer {created.consumer}.
      </p>
      {created.secrets.length > 0 && (
        <>
          <p>Shown this once only — copy it now:</p>
          <dl class="fields">
            {created.secrets.map((s) => (
              <div key={s.field}>
                <dt>{s.field}</dt>
                <dd class="mono">{s.value}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
      <button type="button" class="secondary" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
