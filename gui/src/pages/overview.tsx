/** Overview: version, mode, configuration hash, uptime and the last minute's traffic. */
import { get } from "../api.js";
import { Status } from "../components/common.js";
import { useLoad } from "../hooks.js";
import type { Overview } from "../types.js";

function uptime(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : `${m}m ${sec}s`;
}

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? "—" : `${v} ms`);

export function OverviewPage() {
  const { data, error } = useLoad(() => get<Overview>("gui-api/overview"), [], 3000);
  return (
    <>
      <h2>Overview</h2>
      <Status error={error} loading={!data} />
      {data && (
        <dl class="stats">
          <Stat label="Version" value={data.version} />
          <Stat label="Mode" value={data.mode} />
          <Stat label="Configuration hash" value={data.configHash ?? "—"} mono />
          <Stat label="Uptime" value={uptime(data.uptimeSeconds)} />
          <Stat label="Requests/s" value={data.requests.perSecond.toFixed(2)} />
          <Stat label="Requests (total)" value={String(data.requests.total)} />
          <Stat label="Error rate" value={`${(data.requests.errorRate * 100).toFixed(1)} %`} />
          <Stat label="Latency p50" value={ms(data.latencyMs.p50)} />
          <Stat label="Latency p90" value={ms(data.latencyMs.p90)} />
          <Stat label="Latency p99" value={ms(data.latencyMs.p99)} />
          {data.upstreamHealth && (
            <Stat
              label="Targets healthy / unhealthy"
              value={`${data.upstreamHealth.healthy} / ${data.upstreamHealth.unhealthy}`}
            />
          )}
        </dl>
      )}
      {data && <p class="muted">Traffic figures cover the last {data.windowSeconds} s.</p>}
    </>
  );
}

function Stat({ label, value, mono }: { label: string; value: string; mono?: boolean }) {
  return (
    <div class="stat">
      <dt>{label}</dt>
      <dd class={mono ? "mono" : undefined}>{value}</dd>
    </div>
  );
}
