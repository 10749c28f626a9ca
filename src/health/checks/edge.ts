import { isIP } from "node:net";
import { PORTS } from "../../render/topology.js";
import { type ContainerFacts, containerClause, replicaLabel } from "../facts.js";
import { httpProbe } from "../probe/http.js";
import type { InContainerOutcome } from "../probe/in-container.js";
import { assessCertificate, probeCertificate } from "../probe/tls.js";
import type { CheckResult } from "../report.js";
import {
  bodyMessage,
  check,
  httpStatusText,
  type LayerOutcome,
  ms,
  type ProbeContext,
  replicasOf,
} from "./context.js";

/**
 * Edge layer (Caddy): the published ports answer, each TLS site's certificate (issuer, days
 * to expiry, name, trust — Caddy's internal CA verified against the root Caddy itself
 * reports), and Caddy's own view of the gateway replicas from its admin API, which listens
 * only inside the caddy container and is therefore read through an exec there.
 */
export async function edgeChecks(ctx: ProbeContext): Promise<LayerOutcome> {
  const t = ctx.targets;
  const caddy = replicasOf(ctx.facts, "caddy").find((f) => f.running);
  const admin =
    caddy && t.caddyAdmin
      ? Promise.all([
          ctx.inContainer.get(caddy.id, {
            url: `${t.caddyAdmin}/reverse_proxy/upstreams`,
            timeoutMs: ctx.timeoutMs,
          }),
          t.certTrust === "internal"
            ? ctx.inContainer.get(caddy.id, { url: `${t.caddyAdmin}/pki/ca/local`, timeoutMs: ctx.timeoutMs })
            : Promise.resolve(null),
        ])
      : Promise.resolve(null);

  const answers = portAnswerChecks(ctx);
  const certs = certificateChecks(
    ctx,
    admin.then((a) => rootFromPki(a?.[1] ?? null)),
  );
  const upstreams = admin.then((a) => caddyUpstreamCheck(ctx, a?.[0] ?? null, caddy !== undefined));
  const [answerResults, certResults, upstreamResult] = await Promise.all([answers, certs, upstreams]);
  const main = answerResults.find((r) => r.main);
  return {
    layer: "edge",
    checks: [...answerResults.map((r) => r.result), ...certResults, upstreamResult],
    serves: main ? main.result.status !== "fail" : true,
  };
}

async function portAnswerChecks(ctx: ProbeContext): Promise<Array<{ result: CheckResult; main: boolean }>> {
  const t = ctx.targets;
  const host = t.dialHost.includes(":") ? `[${t.dialHost}]` : t.dialHost;
  const probes: Array<{ scheme: "http" | "https"; port: number; main: boolean }> = [
    { scheme: "http", port: t.httpPort, main: !t.https },
  ];
  if (t.https) probes.push({ scheme: "https", port: t.httpsPort, main: true });
  return Promise.all(
    probes.map(async (p) => {
      const name = `${p.scheme.toUpperCase()} :${p.port}`;
      const defaultPort = p.scheme === "https" ? 443 : 80;
      const outcome = await httpProbe({
        url: `${p.scheme}://${host}:${p.port}/`,
        headers: { host: p.port === defaultPort ? t.domain : `${t.domain}:${p.port}` },
        servername: t.domain,
        timeoutMs: ctx.timeoutMs,
      });
      if (!outcome.ok) {
        const caddy = replicasOf(ctx.facts, "caddy")[0];
        const gatewayUp = replicasOf(ctx.facts, "gateway").some((g) => g.running);
        if (caddy?.running && outcome.error.code === "timeout" && !gatewayUp) {
          return {
            main: p.main,
            result: check("edge", name, "fail", outcome.ms, "no answer", {
              reason: `caddy → gateway: ${outcome.error.message}; Caddy keeps retrying because no gateway replica is running`,
              hint: "start the gateway with `stack up`; see the gateway layer",
            }),
          };
        }
        const clause = caddy && !caddy.running ? ` (${containerClause(caddy)})` : "";
        return {
          main: p.main,
          result: check("edge", name, "fail", outcome.ms, "no answer", {
            reason: `client → caddy: ${outcome.error.message}${clause}`,
            hint:
              caddy && !caddy.running
                ? "start it with `stack up`; see why it stopped with `stack logs caddy`"
                : `check that port ${p.port} is published (\`stack ps\`) and that nothing else holds it`,
          }),
        };
      }
      const location = outcome.headers.location ?? "";
      if (p.scheme === "http" && t.https && outcome.status >= 300 && outcome.status < 400) {
        const detail = `${httpStatusText(outcome.status)} → ${location || "(no Location)"} in ${ms(outcome.ms)}`;
        const why = redirectProblem(location, t.httpsPort);
        return {
          main: p.main,
          result: check("edge", name, why ? "warn" : "ok", outcome.ms, detail, why),
        };
      }
      if (outcome.status >= 500) {
        return {
          main: p.main,
          result: check(
            "edge",
            name,
            "warn",
            outcome.ms,
            `${httpStatusText(outcome.status)} in ${ms(outcome.ms)}`,
            {
              reason: `Caddy answers, but with ${httpStatusText(outcome.status)}${bodyMessage(outcome.body) ? `: ${bodyMessage(outcome.body)}` : ""}`,
              hint: "Caddy cannot reach a working gateway: see the gateway layer",
            },
          ),
        };
      }
      return {
        main: p.main,
        result: check(
          "edge",
          name,
          "ok",
          outcome.ms,
          `answers ${httpStatusText(outcome.status)} in ${ms(outcome.ms)}`,
        ),
      };
    }),
  );
}

/** An HTTP → HTTPS redirect must land on HTTPS at the port the stack publishes. */
export function redirectProblem(
  location: string,
  httpsPort: number,
): { reason: string; hint: string } | undefined {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return {
      reason: "HTTP redirects, but not to an absolute HTTPS URL",
      hint: "check the Caddyfile site address",
    };
  }
  if (url.protocol !== "https:")
    return { reason: "HTTP redirects, but not to HTTPS", hint: "check the Caddyfile site address" };
  const port = Number(url.port || 443);
  if (port !== httpsPort)
    return {
      reason: `HTTP redirects to port ${port}, but HTTPS is published on ${httpsPort}: browsers following it find nothing`,
      hint: `make Caddy redirect to :${httpsPort} (an explicit \`http://\` site with \`redir https://{host}:${httpsPort}{uri}\`), or publish HTTPS on ${port}`,
    };
  return undefined;
}

function rootFromPki(outcome: InContainerOutcome | null): string | undefined {
  if (!outcome?.ok || outcome.status !== 200) return undefined;
  try {
    const root = (JSON.parse(outcome.body) as { root_certificate?: unknown }).root_certificate;
    return typeof root === "string" && root.includes("BEGIN CERTIFICATE") ? root : undefined;
  } catch {
    return undefined;
  }
}

async function certificateChecks(
  ctx: ProbeContext,
  caRoot: Promise<string | undefined>,
): Promise<CheckResult[]> {
  const t = ctx.targets;
  return Promise.all(
    t.tlsSites.map(async (site) => {
      const name = `certificate ${site}`;
      const [outcome, ca] = await Promise.all([
        probeCertificate({ host: t.dialHost, port: t.httpsPort, servername: site, timeoutMs: ctx.timeoutMs }),
        caRoot,
      ]);
      if (!outcome.ok) {
        return check("edge", name, "fail", outcome.ms, "no certificate", {
          reason: outcome.error.message,
          hint: "check that Caddy serves HTTPS on the published port (`stack logs caddy`)",
        });
      }
      let cert = outcome.cert;
      if (ca && !cert.trusted) {
        // Verify the chain against Caddy's own root (not in the system store): a second handshake.
        const again = await probeCertificate({
          host: t.dialHost,
          port: t.httpsPort,
          servername: site,
          timeoutMs: ctx.timeoutMs,
          ca,
        });
        if (again.ok) cert = again.cert;
      }
      const a = assessCertificate(cert, site, { trust: t.certTrust, now: ctx.now });
      return check("edge", name, a.status, outcome.ms, a.detail, { reason: a.reason, hint: a.hint });
    }),
  );
}

/** Caddy's `/reverse_proxy/upstreams`: [{address, num_requests, fails}]. */
function caddyUpstreamCheck(
  ctx: ProbeContext,
  outcome: InContainerOutcome | null,
  caddyRunning: boolean,
): CheckResult {
  const name = "caddy → gateway upstreams";
  if (!ctx.targets.caddyAdmin)
    return check("edge", name, "warn", null, "not checked", {
      reason: "Caddy's admin API is switched off (`admin off`)",
      hint: "enable it on localhost in the Caddyfile's global options",
    });
  if (!caddyRunning || outcome === null)
    return check("edge", name, "fail", null, "not checked", {
      reason: "the caddy container is not running",
      hint: "start it with `stack up`",
    });
  if (!outcome.ok)
    return check("edge", name, "warn", outcome.ms, "admin API did not answer", {
      reason: `Caddy's admin API: ${outcome.error.message}`,
      hint: "check the `admin` global option in config/caddy/Caddyfile",
    });
  const gateways = replicasOf(ctx.facts, "gateway");
  let all: Array<{ address?: unknown; fails?: unknown; num_requests?: unknown }> = [];
  try {
    const parsed = JSON.parse(outcome.body) as unknown;
    if (Array.isArray(parsed)) all = parsed as typeof all;
  } catch {
    all = [];
  }
  // The list covers every reverse_proxy of the config (tool routes too): keep the gateway's.
  const list = all.filter((u) => isGatewayAddress(String(u.address ?? ""), gateways));
  if (outcome.status !== 200 || list.length === 0)
    return check("edge", name, "fail", outcome.ms, `admin API answered ${httpStatusText(outcome.status)}`, {
      reason: "Caddy has no upstreams for the gateway",
      hint: "check the reverse_proxy block in config/caddy/Caddyfile (`stack render --check`)",
    });
  const notes: string[] = [];
  let down = 0;
  const parts = list.map((u) => {
    const address = String(u.address ?? "?");
    const fails = typeof u.fails === "number" ? u.fails : 0;
    const host = address.replace(/:\d+$/, "");
    const replica = gateways.find(
      (g) => g.name === host || (isIP(host) && Object.values(g.networks).includes(host)),
    );
    if (replica && !replica.running) {
      down++;
      notes.push(`${replicaLabel(replica)} is not running`);
    } else if (fails > 0) {
      notes.push(`${address} failed ${fails} recent request${fails === 1 ? "" : "s"}`);
    }
    return `${address}${fails > 0 ? ` (${fails} fails)` : ""}`;
  });
  const detail = `${list.length} upstream${list.length === 1 ? "" : "s"}: ${parts.join(", ")}`;
  if (down === list.length)
    return check("edge", name, "fail", outcome.ms, detail, {
      reason: `no gateway replica Caddy proxies to is running (${notes.join("; ")})`,
      hint: "start the gateway with `stack up`; see why it stopped with `stack logs gateway`",
    });
  if (notes.length > 0)
    return check("edge", name, "warn", outcome.ms, detail, {
      reason: notes.join("; "),
      hint: "Caddy retries the other replicas; see the gateway layer",
    });
  return check("edge", name, "ok", outcome.ms, detail);
}

function gatewayReplicaAt(address: string, gateways: ContainerFacts[]): ContainerFacts | undefined {
  const host = address.replace(/:\d+$/, "");
  return gateways.find(
    (g) => g.name === host || (isIP(host) !== 0 && Object.values(g.networks).includes(host)),
  );
}

/** A gateway replica's container name or IP, the `gateway` service name, or the proxy port 8000. */
function isGatewayAddress(address: string, gateways: ContainerFacts[]): boolean {
  const host = address.replace(/:\d+$/, "");
  return (
    gatewayReplicaAt(address, gateways) !== undefined ||
    host === "gateway" ||
    address.endsWith(`:${PORTS.gatewayProxy}`)
  );
}
