/** A live tail of the access log (Server-Sent Events from /gui-api/logs), filtered by route, status, consumer. */
import { useEffect, useState } from "preact/hooks";
import type { AccessLogLine } from "../types.js";

const KEEP = 200;

interface Filters {
  route: string;
  status: string;
  consumer: string;
}

const EMPTY: Filters = { route: "", status: "", consumer: "" };

export function LogsPage() {
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [lines, setLines] = useState<AccessLogLine[]>([]);
  const [state, setState] = useState("connecting");
  const [paused, setPaused] = useState(false);

  useEffect(() => {
    if (paused) {
      setState("paused");
      return;
    }
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v.trim() !== "") q.set(k, v.trim());
    const qs = q.toString();
    const source = new EventSource(`gui-api/logs${qs ? `?${qs}` : ""}`);
    setState("connecting");
    source.onopen = () => setState("live");
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
    source.addEventListener("access", (e) => {
      try {
        const line = JSON.parse((e as MessageEvent<string>).data) as AccessLogLine;
        setLines((prev) => [line, ...prev].slice(0, KEEP));
      } catch {
        // a line that is not JSON: skipped
      }
    });
    return () => source.close();
  }, [filters, paused]);

  const field = (name: keyof Filters, label: string, placeholder: string) => (
    <div class="field inline-field">
      <label for={`log-${name}`}>{label}</label>
      <input
        id={`log-${name}`}
        name={name}
        value={draft[name]}
        placeholder={placeholder}
        onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })}
      />
    </div>
  );

  return (
    <>
      <h2>Access log</h2>
      <form
        class="filters"
        aria-label="Log filters"
        onSubmit={(e) => {
          e.preventDefault();
          setLines([]);
          // "live" again only once the filtered stream opens (the effect runs after paint)
          setState("connecting");
          setFilters(draft);
        }}
      >
        {field("route", "Route", "name or id")}
        {field("status", "Status", "e.g. 5xx, 404")}
        {field("consumer", "Consumer", "username or id")}
        <button type="submit">Apply filters</button>
        <button type="button" class="secondary" onClick={() => setPaused(!paused)}>
          {paused ? "Resume" : "Pause"}
        </button>
        <button type="button" class="secondary" onClick={() => setLines([])}>
          Clear
        </button>
      </form>
      <p class="muted" role="status">
        Tail: {state}; {lines.length} request{lines.length === 1 ? "" : "s"} shown (newest first, last {KEEP}{" "}
        kept).
      </p>
      <table class="log">
        <caption>Requests through the gateway</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Method</th>
            <th scope="col">Path</th>
            <th scope="col">Status</th>
            <th scope="col">Latency</th>
            <th scope="col">Route</th>
            <th scope="col">Service</th>
            <th scope="col">Consumer</th>
            <th scope="col">Client</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr key={l.request_id} class={l.status >= 500 ? "s5" : l.status >= 400 ? "s4" : undefined}>
              <td class="mono">{l.time.slice(11, 23)}</td>
              <td>{l.method}</td>
              <td class="mono">
                {l.path}
                {l.query ? `?${l.query}` : ""}
              </td>
              <td>{l.status}</td>
              <td>{l.latencies.total} ms</td>
              <td>{l.route ?? "—"}</td>
              <td>{l.service ?? "—"}</td>
              <td>{l.consumer ?? "—"}</td>
              <td class="mono">{l.client_ip}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
