/**
 * Create or edit one Admin API entity through a form generated from its entity schema
 * (`/gui-api/entity-schemas`): POST to the collection, PATCH to the entity.
 */
import { adminWrite } from "../api.js";
import { loadEntitySchemas } from "../catalogue.js";
import { editableSchema, SchemaForm } from "../forms/schema-form.js";
import { useLoad } from "../hooks.js";
import type { Entity } from "../types.js";
import { Status } from "./common.js";

const NEVER_EDITED = ["id", "created_at", "updated_at"];

export interface EntityEditorProps {
  /** the schema's kind: services, routes, upstreams, targets, consumers… */
  kind: string;
  /** singular for titles ("route") */
  noun: string;
  /** the collection to POST to (e.g. `services/<id>/routes`) */
  collection: string;
  /** the entity to edit; absent to create one */
  entity?: Entity;
  /** where the entity is PATCHed (default `<kind>/<id>`) */
  entityPath?: string;
  /** fields set by where the form sits (the parent's reference) */
  omit?: string[];
  /** called with the Admin API's answer (the entity as saved) */
  onDone: (saved: Entity) => void;
  onCancel: () => void;
}

export function EntityEditor(props: EntityEditorProps) {
  const schemas = useLoad(loadEntitySchemas, []);
  const schema = schemas.data?.[props.kind];
  if (!schema) {
    return (
      <Status
        error={schemas.error ?? (schemas.data ? `no schema for ${props.kind}` : null)}
        loading={!schemas.data}
      />
    );
  }
  const entity = props.entity;
  const formSchema = editableSchema(schema, [...NEVER_EDITED, ...(props.omit ?? [])]);
  const label = entity ? String(entity.name ?? entity.username ?? entity.target ?? entity.id) : "";
  return (
    <SchemaForm
      id={`${props.kind}-${entity ? entity.id : "new"}`}
      title={entity ? `Edit ${props.noun} ${label}` : `New ${props.noun}`}
      schema={formSchema}
      value={entity ?? {}}
      editing={entity !== undefined}
      submitLabel={entity ? `Save ${props.noun}` : `Create ${props.noun}`}
      onSubmit={async (body) => {
        const saved = entity
          ? await adminWrite<Entity>(
              "PATCH",
              props.entityPath ?? `${props.kind}/${encodeURIComponent(entity.id)}`,
              body,
            )
          : await adminWrite<Entity>("POST", props.collection, body);
        props.onDone(saved);
      }}
      onCancel={props.onCancel}
    />
  );
}
