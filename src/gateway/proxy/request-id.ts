import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** Longest client-given X-Request-ID kept as the request id. */
const MAX_REQUEST_ID_LENGTH = 200;

let idPool = Buffer.alloc(0);
let idOffset = 0;

/** A fresh 32-hex request id (Kong's format), from a pooled random buffer. */
export function newRequestId(): string {
  if (idOffset + 16 > idPool.length) {
    idPool = randomBytes(4096);
    idOffset = 0;
  }
  const id = idPool.toString("hex", idOffset, idOffset + 16);
  idOffset += 16;
  return id;
}

/** X-Request-ID when the client sent a sane one, else a fresh 32-hex id. */
export function requestIdFor(headers: IncomingHttpHeaders): string {
  const given = headers["x-request-id"];
  if (typeof given === "string" && given.length > 0 && given.length <= MAX_REQUEST_ID_LENGTH) {
    if (/^[\x21-\x7e]+$/.test(given)) return given;
  }
  return newRequestId();
}
