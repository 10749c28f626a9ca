/**
 * Request bodies as Kong's kong.request.get_body() sees them: JSON objects,
 * application/x-www-form-urlencoded and multipart/form-data fields, decoded into one
 * ordered, editable shape and encoded back after a plugin changed it.
 */

export type BodyKind = "json" | "form" | "multipart";

export interface MultipartPart {
  name: string;
  /** Raw header block of the part (kept as received for file parts). */
  headers: string;
  data: Buffer;
  isFile: boolean;
}

export type ParsedBody =
  | { kind: "json"; value: Record<string, unknown> }
  | { kind: "form"; params: URLSearchParams }
  | { kind: "multipart"; boundary: string; parts: MultipartPart[] };

/** The body kind named by a Content-Type header value, or null for anything else. */
export function bodyKind(contentType: string | undefined): BodyKind | null {
  if (!contentType) return null;
  const type = contentType.toLowerCase();
  if (type.includes("application/x-www-form-urlencoded")) return "form";
  if (type.includes("multipart/form-data")) return "multipart";
  if (type.includes("application/json") || /^application\/[^;]*\+json/.test(type)) return "json";
  return null;
}

function boundaryOf(contentType: string): string | null {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

function parseMultipart(raw: Buffer, boundary: string): MultipartPart[] | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = raw.indexOf(delimiter);
  if (pos < 0) return null;
  for (;;) {
    pos += delimiter.length;
    if (raw.subarray(pos, pos + 2).toString() === "--") break;
    if (raw.subarray(pos, pos + 2).toString() === "\r\n") pos += 2;
    const headerEnd = raw.indexOf("\r\n\r\n", pos);
    if (headerEnd < 0) return null;
    const headers = raw.subarray(pos, headerEnd).toString("utf8");
    const next = raw.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd + 4);
    if (next < 0) return null;
    const data = raw.subarray(headerEnd + 4, next);
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? "";
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name !== undefined) parts.push({ name, headers, data, isFile: /\bfilename=/i.test(disposition) });
    pos = next + 2;
  }
  return parts;
}

/** Decode `raw` by its Content-Type; null when the type is not one of the three or the body is malformed. */
export function parseBody(contentType: string | undefined, raw: Buffer): ParsedBody | null {
  const kind = bodyKind(contentType);
  if (kind === "form") return { kind, params: new URLSearchParams(raw.toString("utf8")) };
  if (kind === "json") {
    if (raw.length === 0) return { kind, value: {} };
    try {
      const value: unknown = JSON.parse(raw.toString("utf8"));
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        return { kind, value: value as Record<string, unknown> };
      }
    } catch {
      return null;
    }
    return null;
  }
  if (kind === "multipart" && contentType) {
    const boundary = boundaryOf(contentType);
    if (!boundary) return null;
    if (raw.length === 0) return { kind, boundary, parts: [] };
    const parts = parseMultipart(raw, boundary);
    return parts ? { kind, boundary, parts } : null;
  }
  return null;
}

/** Encode a (possibly edited) body back to bytes in its own format. */
export function encodeBody(body: ParsedBody): Buffer {
  if (body.kind === "json") return Buffer.from(JSON.stringify(body.value));
  if (body.kind === "form") return Buffer.from(body.params.toString());
  const chunks: Buffer[] = [];
  for (const part of body.parts) {
    chunks.push(Buffer.from(`--${body.boundary}\r\n${part.headers}\r\n\r\n`), part.data, Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${body.boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** A multipart text field. */
export function multipartField(name: string, value: string): MultipartPart {
  return {
    name,
    headers: `Content-Disposition: form-data; name="${name.replace(/"/g, "%22")}"`,
    data: Buffer.from(value, "utf8"),
    isFile: false,
  };
}

/**
 * A field's value as Kong's get_body() returns it: a string, a list when repeated (form
 * and multipart), or the JSON value.
 */
export function bodyField(body: ParsedBody, name: string): unknown {
  if (body.kind === "json") return body.value[name];
  if (body.kind === "form") {
    const all = body.params.getAll(name);
    return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
  }
  const parts = body.parts.filter((p) => p.name === name && !p.isFile).map((p) => p.data.toString("utf8"));
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : parts;
}

export function removeBodyField(body: ParsedBody, name: string): void {
  if (body.kind === "json") delete body.value[name];
  else if (body.kind === "form") body.params.delete(name);
  else body.parts = body.parts.filter((p) => p.name !== name);
}

/** Send `body` upstream instead of the client's body, with a matching Content-Length. */
export function replaceUpstreamBody(
  upstream: { body?: Buffer; headers: Record<string, string | string[]> },
  body: Buffer,
): void {
  upstream.body = body;
  upstream.headers["content-length"] = String(body.length);
  delete upstream.headers["transfer-encoding"];
}
