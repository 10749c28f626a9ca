/** Small shared pieces: loading/error states, a two-step delete, a value's display. */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { errorText } from "../api.js";

export function Status({ error, loading }: { error: string | null; loading: boolean }) {
  if (error) {
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  }
  return loading ? (
    <p class="muted" aria-live="polite">
      Loading…
    </p>
  ) : null;
}

/** A value as text: lists joined, null as a dash. */
export function show(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (Array.isArray(v)) return v.length === 0 ? "—" : v.map((x) => show(x)).join(", ");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** Delete with a second, explicit confirmation (no window.confirm). */
export function DeleteButton({ label, onDelete }: { label: string; onDelete: () => Promise<void> }) {
  const [armed, setArmed] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!armed) {
    return (
      <button type="button" class="danger" aria-label={`Delete ${label}`} onClick={() => setArmed(true)}>
        Delete
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        type="button"
        class="danger"
        aria-label={`Confirm delete ${label}`}
        onClick={() => onDelete().catch((err: unknown) => setError(errorText(err)))}
      >
        Confirm delete
      </button>
      <button type="button" class="secondary" onClick={() => setArmed(false)}>
        Keep
      </button>
      {error && (
        <span role="alert" class="error">
          {error}
        </span>
      )}
    </span>
  );
}

export function Section({
  title,
  children,
  id,
}: {
  title: string;
  children: ComponentChildren;
  id?: string;
}) {
  return (
    <section aria-labelledby={id ?? undefined} class="card">
      <h3 id={id}>{title}</h3>
      {children}
    </section>
  );
}
