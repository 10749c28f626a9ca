/**
 * Consumers, their credentials (listed by kind and id — never a key, password or secret) and their
 * own plugins; in database mode forms to create and delete credentials, generated from the
 * credential kinds' entity schemas, and to add consumer-scoped plugins.
 */
import { useRef, useState } from "preact/hooks";
import { adminWrite, listAll } from "../api.js";
import { loadEntitySchemas } from "../catalogue.js";
import { DeleteButton, Status, show } from "../components/common.js";
import { EntityEditor } from "../components/entity-editor.js";
import { PluginEditor } from "../components/plugin-editor.js";
import { type CredentialKind, credentialKinds, secretFieldsOf } from "../credentials.js";
import { useFocusFirst, useFocusReturn, useLoad } from "../hooks.js";
import { href } from "../router.js";
import type { Entity, JsonSchema } from "../types.js";

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

/** A credential just created, named above the list (its id only: the page never shows a secret). */
interface Created {
  noun: string;
  consumer: string;
  id: string;
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
    return { kinds, schemas, rows };
  }, []);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const remember = useFocusReturn(editing !== null);
  const open = (e: Editing | null) => {
    remember();
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
          schemas={data.schemas}
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
      {created && (
        <CreatedNote
          created={created}
          onDismiss={() => {
            setCreated(null);
            // the note's button goes away: keep the keyboard user in the page's content
            document.getElementById("main")?.focus();
          }}
        />
      )}
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
  /** the entity schemas (undefined when they did not load: the form then says nothing of secrets) */
  schemas: Record<string, JsonSchema> | undefined;
  onCreated: (c: Created) => void;
  onCancel: () => void;
}) {
  const [segment, setSegment] = useState("");
  const kind = props.kinds.find((k) => k.segment === segment);
  const name = nameOf(props.consumer);
  const selectId = `credential-kind-${props.consumer.id}`;
  const box = useRef<HTMLElement>(null);
  useFocusFirst(box);
  return (
    <section class="credential-editor" ref={box} aria-label={`New credential for consumer ${name}`}>
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
      {kind && (
        <SecretsNote
          id={`${selectId}-secrets`}
          consumerId={props.consumer.id}
          kind={kind}
          schema={props.schemas?.[kind.kind]}
        />
      )}
      {kind ? (
        <EntityEditor
          key={kind.segment}
          kind={kind.kind}
          noun={kind.noun}
          collection={`consumers/${encodeURIComponent(props.consumer.id)}/${kind.segment}`}
          omit={["consumer"]}
          onDone={(saved) => props.onCreated({ noun: kind.noun, consumer: name, id: saved.id })}
          onCancel={props.onCancel}
        />
      ) : (
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      )}
    </section>
  );
}

/**
 * How a credential's secret fields work here: typed into password inputs, or left blank for the
 * gateway to generate — a generated secret is never shown (the manager's server redacts every
 * secret); it is read from the Admin API on its loopback listener, with the admin token.
 */
function SecretsNote(props: { id: string; consumerId: string; kind: CredentialKind; schema?: JsonSchema }) {
  const secrets = secretFieldsOf(props.schema);
  if (secrets.length === 0) return null;
  const required = new Set(props.schema?.required ?? []);
  const generated = secrets.filter((f) => !required.has(f));
  const list = (fields: string[]) =>
    fields.map((f, i) => (
      <span key={f}>
        {i > 0 ? ", " : ""}
        <code>{f}</code>
      </span>
    ));
  return (
    <div class="notice" role="note" id={props.id}>
      <p>
        Secret fields ({list(secrets)}) are password inputs: type the secret you will give the client.
        {generated.length > 0 && (
          <>
            {" "}
            Left blank, the gateway generates {list(generated)}
            {" — this page never shows it (nothing secret is rendered here). Read it from the Admin API on "}
            its loopback listener (default <code>127.0.0.1:8001</code>; the admin token if one is set):{" "}
            <code>
              GET /consumers/{props.consumerId}/{props.kind.segment}
            </code>
            .
          </>
        )}
        {props.schema?.properties?.hash_secret !== undefined && (
          <>
            {" "}
            With <code>hash_secret</code> on, the secret is stored hashed and cannot be read back from
            anywhere: type it here rather than leaving it to be generated.
          </>
        )}
      </p>
    </div>
  );
}

/** The created credential's kind and id (never a secret: the server redacts them all). */
function CreatedNote({ created, onDismiss }: { created: Created; onDismiss: () => void }) {
  return (
    <div class="notice" role="status">
      <p>
        Created {created.noun} <span class="mono">{created.id}</span> for consumer {created.consumer}.
      </p>
      <button type="button" class="secondary" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
