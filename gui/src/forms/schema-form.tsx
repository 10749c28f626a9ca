/**
 * A form generated from a JSON Schema: one labelled control per field (nested records as
 * fieldsets), Kong's validation errors (`fields` of a 400) beside the field they name.
 */
import { useMemo, useState } from "preact/hooks";
import { ApiError, errorText } from "../api.js";
import { isSecretField } from "../credentials.js";
import type { JsonSchema } from "../types.js";
import {
  changedBody,
  controlFor,
  errorAt,
  FieldError,
  initialRaw,
  pathKey,
  type Raw,
  type RawValues,
  unplacedErrors,
  unwrap,
} from "./schema.js";

export interface SchemaFormProps {
  /** unique on the page: prefixes the controls' ids */
  id: string;
  title: string;
  schema: JsonSchema;
  /** the entity being edited ({} to create one) */
  value: Record<string, unknown>;
  /** true: PATCH semantics (changed fields only, cleared ones null) */
  editing: boolean;
  submitLabel: string;
  /** sends the body; a rejected ApiError with `fields` is shown beside the fields */
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
  onCancel: () => void;
}

/** The schema without the fields a form never edits (ids, timestamps, the parent it sits under). */
export function editableSchema(schema: JsonSchema, omit: readonly string[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    if (omit.includes(name) || field.readOnly) continue;
    properties[name] = field;
  }
  return { ...schema, properties };
}

export function SchemaForm(props: SchemaFormProps) {
  const initial = useMemo(() => initialRaw(props.schema, props.value), [props.schema, props.value]);
  const [raw, setRaw] = useState<RawValues>(initial);
  const [fields, setFields] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const set = (key: string, v: Raw) => setRaw((r) => ({ ...r, [key]: v }));

  const submit = async (e: Event) => {
    e.preventDefault();
    setMessage(null);
    setFields(null);
    let body: Record<string, unknown>;
    try {
      body = changedBody(props.schema, raw, initial, props.editing);
    } catch (err) {
      if (err instanceof FieldError) {
        setFields(nestedError(err.path.split("."), err.message));
        setMessage(`${err.path}: ${err.message}`);
        return;
      }
      throw err;
    }
    setBusy(true);
    try {
      await props.onSubmit(body);
    } catch (err) {
      setMessage(errorText(err));
      if (err instanceof ApiError && err.body?.fields !== undefined) setFields(err.body.fields);
    } finally {
      setBusy(false);
    }
  };

  const others = fields === null ? [] : unplacedErrors(fields, props.schema);
  const summaryId = `${props.id}-summary`;
  return (
    <form class="entity-form" aria-labelledby={`${props.id}-title`} onSubmit={submit} noValidate>
      <h3 id={`${props.id}-title`}>{props.title}</h3>
      {message && (
        <div class="error" role="alert" id={summaryId}>
          <p>{message}</p>
          {others.length > 0 && (
            <ul>
              {others.map((o) => (
                <li key={o}>{o}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <Fields formId={props.id} schema={props.schema} path={[]} raw={raw} set={set} fields={fields} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          {props.submitLabel}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function nestedError(path: string[], message: string): unknown {
  return path.reduceRight<unknown>((acc, p) => ({ [p]: acc }), message);
}

interface FieldsProps {
  formId: string;
  schema: JsonSchema;
  path: string[];
  raw: RawValues;
  set: (key: string, v: Raw) => void;
  fields: unknown;
}

function Fields(props: FieldsProps) {
  const required = new Set(props.schema.required ?? []);
  return (
    <>
      {Object.entries(props.schema.properties ?? {}).map(([name, field]) => (
        <Field key={name} {...props} name={name} field={field} required={required.has(name)} />
      ))}
    </>
  );
}

function Field(props: FieldsProps & { name: string; field: JsonSchema; required: boolean }) {
  const path = [...props.path, props.name];
  const key = pathKey(path);
  const id = `${props.formId}-${path.join("-")}`;
  const control = controlFor(props.field);
  const { schema } = unwrap(props.field);
  const error = props.fields === null ? undefined : errorAt(props.fields, path);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [schema.description || schema.default !== undefined ? hintId : "", error ? errorId : ""]
    .filter((s) => s !== "")
    .join(" ");
  const hint = <Hint id={hintId} schema={schema} />;
  const errorNote = error ? (
    <p class="field-error" id={errorId}>
      {error}
    </p>
  ) : null;
  const value = props.raw[key];
  const common = {
    id,
    name: key,
    "aria-describedby": describedBy || undefined,
    "aria-invalid": error ? true : undefined,
    "aria-required": props.required || undefined,
  };

  if (control.kind === "object") {
    return (
      <fieldset class="record">
        <legend>{props.name}</legend>
        {hint}
        {errorNote && !isRecordError(props.fields, path) ? errorNote : null}
        <Fields {...props} schema={control.schema} path={path} />
      </fieldset>
    );
  }
  if (control.kind === "checkboxes") {
    const checked = Array.isArray(value) ? value : [];
    return (
      <fieldset class="field" aria-describedby={common["aria-describedby"]}>
        <legend>{props.name}</legend>
        <div class="options">
          {control.options.map((opt) => (
            <label key={opt} class="inline">
              <input
                type="checkbox"
                name={key}
                value={opt}
                checked={checked.includes(opt)}
                onChange={(e) =>
                  props.set(
                    key,
                    e.currentTarget.checked ? [...checked, opt] : checked.filter((c) => c !== opt),
                  )
                }
              />
              {opt}
            </label>
          ))}
        </div>
        {hint}
        {errorNote}
      </fieldset>
    );
  }
  if (control.kind === "checkbox") {
    return (
      <div class="field checkbox">
        <input
          {...common}
          type="checkbox"
          checked={value === true}
          onChange={(e) => props.set(key, e.currentTarget.checked)}
        />
        <label for={id}>{props.name}</label>
        {hint}
        {errorNote}
      </div>
    );
  }
  let input: preact.JSX.Element;
  if (control.kind === "select") {
    input = (
      <select {...common} value={String(value ?? "")} onChange={(e) => props.set(key, e.currentTarget.value)}>
        <option value="">(default)</option>
        {control.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else if (control.kind === "lines" || control.kind === "json") {
    input = (
      <textarea
        {...common}
        rows={control.kind === "json" ? 4 : 2}
        value={String(value ?? "")}
        onInput={(e) => props.set(key, e.currentTarget.value)}
      />
    );
  } else {
    const onInput = (e: { currentTarget: HTMLInputElement }) => props.set(key, e.currentTarget.value);
    input = isSecretField(props.name) ? (
      <input
        {...common}
        type="password"
        autoComplete="new-password"
        value={String(value ?? "")}
        onInput={onInput}
      />
    ) : control.number ? (
      <input
        {...common}
        type="number"
        step={control.integer ? "1" : "any"}
        value={String(value ?? "")}
        onInput={onInput}
      />
    ) : (
      <input {...common} type="text" value={String(value ?? "")} onInput={onInput} />
    );
  }
  return (
    <div class={error ? "field invalid" : "field"}>
      <label for={id}>
        {props.name}
        {props.required ? <span aria-hidden="true"> *</span> : null}
        {control.kind === "lines" ? <span class="muted"> (one per line)</span> : null}
        {control.kind === "json" ? <span class="muted"> (JSON)</span> : null}
      </label>
      {input}
      {hint}
      {errorNote}
    </div>
  );
}

/** True when the error at `path` is a tree of sub-field errors (shown beside those fields). */
function isRecordError(fields: unknown, path: string[]): boolean {
  let node: unknown = fields;
  for (const p of path) {
    if (node === null || typeof node !== "object") return false;
    node = (node as Record<string, unknown>)[p];
  }
  return node !== null && typeof node === "object" && !Array.isArray(node);
}

function Hint({ id, schema }: { id: string; schema: JsonSchema }) {
  const parts: string[] = [];
  if (schema.description) parts.push(schema.description);
  if (schema.default !== undefined) parts.push(`Default: ${JSON.stringify(schema.default)}`);
  if (parts.length === 0) return null;
  return (
    <p class="hint" id={id}>
      {parts.join(" — ")}
    </p>
  );
}
