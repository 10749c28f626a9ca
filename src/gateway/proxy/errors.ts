/**
 * Gateway-generated error responses, as Kong's `kong.response.error` renders them: the body
 * format follows the request's Accept header (JSON by default, else HTML, XML or plain text),
 * every body carries the request id, and the message texts are Kong's.
 */

/** Typed proxy failures with stable codes (undici style). */
export type ProxyErrorCode =
  | "GW_NO_ROUTE"
  | "GW_NO_SERVICE"
  | "GW_NO_PEER"
  | "GW_DNS_FAILED"
  | "GW_UPSTREAM_TIMEOUT"
  | "GW_UPSTREAM_INVALID"
  | "GW_UPSTREAM_CONNECT"
  | "GW_BAD_REQUEST"
  | "GW_HTTP_VERSION"
  | "GW_CLIENT_BODY_TIMEOUT"
  | "GW_INTERNAL";

export class ProxyError extends Error {
  readonly code: ProxyErrorCode;
  readonly status: number;
  constructor(code: ProxyErrorCode, message?: string, options?: { cause?: unknown }) {
    const spec = PROXY_ERRORS[code];
    super(message ?? spec.message, options);
    this.name = "ProxyError";
    this.code = code;
    this.status = spec.status;
  }
}

/** Status and Kong's client-facing message for each failure. */
export const PROXY_ERRORS: Record<ProxyErrorCode, { status: number; message: string }> = {
  GW_NO_ROUTE: { status: 404, message: "no Route matched with those values" },
  GW_NO_SERVICE: { status: 503, message: "no Service found with those values" },
  GW_NO_PEER: { status: 503, message: "failure to get a peer from the ring-balancer" },
  GW_DNS_FAILED: { status: 503, message: "name resolution failed" },
  GW_UPSTREAM_TIMEOUT: { status: 504, message: "The upstream server is timing out" },
  GW_UPSTREAM_INVALID: { status: 502, message: "An invalid response was received from the upstream server" },
  GW_UPSTREAM_CONNECT: { status: 502, message: "An invalid response was received from the upstream server" },
  GW_BAD_REQUEST: { status: 400, message: "Bad request" },
  GW_HTTP_VERSION: { status: 505, message: "HTTP Version Not Supported" },
  GW_CLIENT_BODY_TIMEOUT: { status: 408, message: "Request timeout" },
  GW_INTERNAL: { status: 500, message: "An unexpected error occurred" },
};

/** Kong's default message for a status when none is given (kong.response.error without message). */
const DEFAULT_STATUS_MESSAGES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  406: "Not acceptable",
  407: "Proxy authentication required",
  408: "Request timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length required",
  412: "Precondition failed",
  413: "Payload too large",
  414: "URI too long",
  415: "Unsupported media type",
  416: "Range not satisfiable",
  417: "Expectation failed",
  429: "API rate limit exceeded",
  431: "Request header fields too large",
  494: "Request header or cookie too large",
  500: "An unexpected error occurred",
  502: "An invalid response was received from the upstream server",
  503: "The upstream server is currently unavailable",
  504: "The upstream server is timing out",
};

export function defaultStatusMessage(status: number): string {
  return DEFAULT_STATUS_MESSAGES[status] ?? "The upstream server responded with " + status;
}

type ErrorFormat = "json" | "html" | "xml" | "plain";

const CONTENT_TYPES: Record<ErrorFormat, string> = {
  json: "application/json; charset=utf-8",
  html: "text/html; charset=utf-8",
  xml: "application/xml; charset=utf-8",
  plain: "text/plain; charset=utf-8",
};

/** Pick the error body format from an Accept header (highest q wins; JSON by default). */
export function errorFormatFor(accept: string | undefined): ErrorFormat {
  if (accept === undefined || accept === "" || accept === "*/*") return "json";
  let best: ErrorFormat = "json";
  let bestQ = -1;
  for (const part of accept.split(",")) {
    const [rawType = "", ...params] = part.split(";");
    const type = rawType.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split("=");
      if (k?.trim() === "q" && v !== undefined) q = Number(v) || 0;
    }
    const format = formatOfMediaType(type);
    if (format !== null && q > bestQ) {
      best = format;
      bestQ = q;
    }
  }
  return best;
}

function formatOfMediaType(type: string): ErrorFormat | null {
  switch (type) {
    case "application/json":
    case "application/*":
    case "*/*":
      return "json";
    case "text/html":
      return "html";
    case "application/xml":
    case "text/xml":
      return "xml";
    case "text/plain":
    case "text/*":
      return "plain";
    default:
      return null;
  }
}

function escapeJson(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

function escapeMarkup(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Kong's error body for a message + request id, and its content type. */
export function renderErrorBody(
  message: string,
  requestId: string,
  accept: string | undefined,
): { contentType: string; body: string } {
  const format = errorFormatFor(accept);
  let body: string;
  switch (format) {
    case "json":
      body = `{\n  "message":"${escapeJson(message)}",\n  "request_id":"${escapeJson(requestId)}"\n}`;
      break;
    case "html":
      body =
        '<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n' +
        '    <meta name="viewport" content="width=device-width, initial-scale=1.0">\n' +
        `    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>${escapeMarkup(message)}.</p>\n` +
        `    <p>request_id: ${escapeMarkup(requestId)}</p>\n  </body>\n</html>\n`;
      break;
    case "xml":
      body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<error>\n' +
        `  <message>${escapeMarkup(message)}</message>\n  <requestid>${escapeMarkup(requestId)}</requestid>\n</error>\n`;
      break;
    default:
      body = `${message}\nrequest_id: ${requestId}\n`;
  }
  return { contentType: CONTENT_TYPES[format], body };
}

/** Map an undici/socket error raised before the upstream answered to a gateway failure. */
export function classifyUpstreamError(err: unknown): {
  code: ProxyErrorCode;
  /** a connection failure the balancer may retry on another target */
  retryable: boolean;
  /** counts as a timeout (passive health) rather than a tcp failure */
  timeout: boolean;
} {
  const code = (err as { code?: string } | null)?.code ?? "";
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
    case "ETIMEDOUT": // the kernel gave up connecting (SYNs unanswered)
      return { code: "GW_UPSTREAM_TIMEOUT", retryable: true, timeout: true };
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
    case "GW_UPSTREAM_READ_TIMEOUT":
    case "GW_UPSTREAM_WRITE_TIMEOUT":
      return { code: "GW_UPSTREAM_TIMEOUT", retryable: false, timeout: true };
    case "ECONNREFUSED":
    case "ECONNRESET":
    case "ECONNABORTED":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
    case "ENETDOWN":
    case "EADDRNOTAVAIL":
    case "EPIPE":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "UND_ERR_SOCKET":
    case "UND_ERR_CLOSED":
      return { code: "GW_UPSTREAM_CONNECT", retryable: true, timeout: false };
    default:
      return { code: "GW_UPSTREAM_INVALID", retryable: false, timeout: false };
  }
}
