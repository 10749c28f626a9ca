/** Consumers and their credentials, listed by kind and id — never a key, password or secret. */
import { useState } from "preact/hooks";
import { adminWrite, listAll } from "../api.js";
import { DeleteButton, Status, show } from "../components/common.js";
import { EntityEditor } from "../components/entity-editor.js";
import { useLoad } from "../hooks.js";
import type { Entity } from "../types.js";

/** The Admin API's credential collections under a consumer (kong/plugins/<name>/daos.lua). */
const CREDENTIAL_KINDS = ["key-auth", "basic-auth", "jwt", "hmac-auth", "acls"] as const;

interface Credential {
  kind: string;
  id: string;
}

async function credentialsOf(consumer: string): Promise<Credential[]> {
  const lists = await Promise.all(
    CREDENTIAL_KINDS.map(async (kind) => {
      const found = await listAll(`consumers/${encodeURIComponent(consumer)}/${kind}`).catch(() => []);
      return found.map((c) => ({ kind, id: c.id }));
    }),
  );
  return lists.flat();
}

export function ConsumersPage({ writable }: { writable: boolean }) {
  const { data, error, reload } = useLoad(async () => {
    const consumers = await listAll("consumers");
    const credentials = await Promise.all(consumers.map((c) => credentialsOf(c.id)));
    return consumers.map((c, i) => ({ consumer: c, credentials: credentials[i] ?? [] }));
  }, []);
  const [editing, setEditing] = useState<{ entity?: Entity } | null>(null);
  return (
    <>
      <h2>Consumers</h2>
      {writable && (
        <p>
          <button type="button" onClick={() => setEditing({})}>
            New consumer
          </button>
        </p>
      )}
      {editing && (
        <EntityEditor
          key={editing.entity?.id ?? "new"}
          kind="consumers"
          noun="consumer"
          collection="consumers"
          entity={editing.entity}
          onDone={() => {
            setEditing(null);
            reload();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      <Status error={error} loading={!data} />
      {data?.length === 0 && <p>No consumers.</p>}
      {data && data.length > 0 && (
        <table>
          <caption>Consumers and their credentials (secrets are never shown)</caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Custom id</th>
              <th scope="col">Credentials (kind: id)</th>
              {writable && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {data.map(({ consumer: c, credentials }) => {
              const name = show(c.username ?? c.custom_id ?? c.id);
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
                            <span class="badge">{k.kind}</span> <span class="mono">{k.id}</span>
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
                        onClick={() => setEditing({ entity: c })}
                      >
                        Edit
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
