/**
 * Network failures of a probe, reduced to a few stable codes with a plain-words message.
 * Both host-side probes (undici, node:tls) and in-container probes (node fetch, python urllib,
 * curl, wget exit codes) map onto these codes so reports read the same wherever the probe ran.
 */
export const PROBE_ERROR_CODES = [
  "refused",
  "timeout",
  "dns",
  "reset",
  "tls",
  "unreachable",
  "protocol",
  "no-client",
  "other",
] as const;
export type ProbeErrorCode = (typeof PROBE_ERROR_CODES)[number];

export interface ProbeError {
  code: ProbeErrorCode;
  /** One line, plain words, naming the address when known: "connection refused on orders:8000". */
  message: string;
}

/** Map a raw error code (Node errno, undici code, our in-container codes) to a ProbeErrorCode. */
export function probeCodeFor(raw: string | undefined): ProbeErrorCode {
  switch (raw) {
    case "ECONNREFUSED":
      return "refused";
    case "TIMEOUT":
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
    case "ABORT_ERR":
    case "TimeoutError":
    case "AbortError":
      return "timeout";
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return "dns";
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
    case "UND_ERR_CLOSED":
      return "reset";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
      return "unreachable";
    case "HPE_INVALID_CONSTANT":
    case "HPE_INVALID_VERSION":
    case "UND_ERR_INFO":
    case "PROTOCOL":
      return "protocol";
    case "NO_CLIENT":
      return "no-client";
    default:
      if (
        raw &&
        (raw.startsWith("ERR_TLS") || raw.includes("CERT") || raw.startsWith("ERR_SSL") || raw === "TLS")
      )
        return "tls";
      if (raw?.startsWith("HPE_")) return "protocol";
      return "other";
  }
}

/** Plain-words message for a code at an address (`host:port`) and a timeout. */
export function describeProbeError(
  code: ProbeErrorCode,
  address: string,
  timeoutMs: number,
  raw = "",
): string {
  switch (code) {
    case "refused":
      return `connection refused on ${address}`;
    case "timeout":
      return `no answer from ${address} within ${formatSeconds(timeoutMs)}`;
    case "dns":
      return `name ${address.replace(/:\d+$/, "")} does not resolve`;
    case "reset":
      return `connection to ${address} was reset`;
    case "tls":
      return `TLS handshake with ${address} failed${raw ? ` (${raw})` : ""}`;
    case "unreachable":
      return `${address} is unreachable`;
    case "protocol":
      return `${address} did not answer with valid HTTP${raw ? ` (${raw})` : ""}`;
    case "no-client":
      return "no HTTP client (node, python3, curl or wget) in the container to probe from";
    default:
      return `request to ${address} failed${raw ? `: ${raw}` : ""}`;
  }
}

/** Extract the most specific code from a thrown error (undici nests causes). */
export function rawErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === "object"; depth++) {
    const o = e as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof o.code === "string" && o.code !== "UND_ERR_ABORTED") return o.code;
    if (o.name === "TimeoutError" || o.name === "AbortError") return "TIMEOUT";
    e = o.cause;
  }
  return undefined;
}

/** Turn any thrown network error into a ProbeError for `address`. */
export function toProbeError(err: unknown, address: string, timeoutMs: number): ProbeError {
  const raw = rawErrorCode(err);
  const code = probeCodeFor(raw);
  const detail = code === "tls" || code === "protocol" || code === "other" ? (raw ?? errText(err)) : "";
  return { code, message: describeProbeError(code, address, timeoutMs, detail) };
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `host:port` of a URL, with the scheme's default port filled in. */
export function addressOf(url: string): string {
  try {
    const u = new URL(url);
    const port = u.port || (u.protocol === "https:" ? "443" : "80");
    return `${u.hostname}:${port}`;
  } catch {
    return url;
  }
}
