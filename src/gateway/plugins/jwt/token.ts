/**
 * Kong's jwt_parser re-expressed: split a compact token into its three parts, decode
 * them strictly (base64url or base64, padded or not), and report Kong's "Bad token; …"
 * reasons. Signature verification itself is done with `jose` (handler.ts).
 */
import { JWT_ALGORITHMS } from "../../config/entities/jwt_secrets.js";

/** Every algorithm a jwt_secrets credential may declare (the config loader's list); jose verifies each. */
export const SUPPORTED_ALGORITHMS: readonly string[] = JWT_ALGORITHMS;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export interface DecodedToken {
  header: Record<string, unknown> & { alg: JwtAlgorithm };
  claims: Record<string, unknown>;
}

/** Strict base64 / base64url decoding like ngx.decode_base64 after Kong's padding fix; null when invalid. */
export function decodeBase64(input: string): Buffer | null {
  const remainder = input.length % 4;
  const padded = remainder > 0 ? input + "=".repeat(4 - remainder) : input;
  const standard = padded.replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(standard) || remainder === 1) return null;
  return Buffer.from(standard, "base64");
}

function decodeJsonObject(part: string | undefined): Record<string, unknown> | null {
  if (part === undefined) return null;
  const bytes = decodeBase64(part);
  if (!bytes) return null;
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Decode `token`; `error` is Kong's reason ("invalid JSON", "invalid alg", "invalid signature"). */
export function decodeToken(token: string): { token: DecodedToken } | { error: string } {
  const first = token.indexOf(".");
  const second = first < 0 ? -1 : token.indexOf(".", first + 1);
  if (second < 0) return { error: "invalid JSON" };
  const header = decodeJsonObject(token.slice(0, first));
  const claims = decodeJsonObject(token.slice(first + 1, second));
  if (!header || !claims) return { error: "invalid JSON" };
  const alg = header.alg;
  if (typeof alg !== "string" || !SUPPORTED_ALGORITHMS.includes(alg)) {
    return { error: "invalid alg" };
  }
  if (!decodeBase64(token.slice(second + 1))) return { error: "invalid signature" };
  return { token: { header: header as DecodedToken["header"], claims } };
}

const CLAIM_CHECKS = {
  nbf: (value: number, now: number) => (value > now ? "token not valid yet" : null),
  exp: (value: number, now: number) => (value <= now ? "token expired" : null),
} as const;

/** Kong's verify_registered_claims: null when fine, else `{ claim: message }`. */
export function verifyRegisteredClaims(
  claims: Record<string, unknown>,
  toVerify: ReadonlyArray<"exp" | "nbf">,
  nowSeconds: number,
): Record<string, string> | null {
  const errors: Record<string, string> = {};
  for (const name of toVerify) {
    const value = claims[name];
    const message =
      typeof value !== "number" ? "must be a number" : CLAIM_CHECKS[name](value, Math.floor(nowSeconds));
    if (message) errors[name] = message;
  }
  return Object.keys(errors).length > 0 ? errors : null;
}

/** Kong's check_maximum_expiration. */
export function exceedsMaximumExpiration(
  claims: Record<string, unknown>,
  maximum: number,
  nowSeconds: number,
): boolean {
  if (maximum <= 0) return false;
  const exp = claims.exp;
  return typeof exp !== "number" || exp - Math.floor(nowSeconds) > maximum;
}
