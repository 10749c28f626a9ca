import { GATESTACK_VERSION } from "../../version.js";

/** Product token of the gateway (Kong's `server_tokens`): `Server` on gateway answers, `Via`. */
export const SERVER_TOKEN = `gatestack/${GATESTACK_VERSION}`;

/** Kong 3.7+ Via element added on the request and on the response: `1.1 <server token>`. */
export const VIA_ELEMENT = `1.1 ${SERVER_TOKEN}`;

/** Appends our Via element to an existing Via value (Kong: `1.1 dev, 1.1 kong/3.x`). */
export function appendVia(existing: string | string[] | undefined): string {
  if (existing === undefined || existing === "") return VIA_ELEMENT;
  return `${Array.isArray(existing) ? existing.join(", ") : existing}, ${VIA_ELEMENT}`;
}
