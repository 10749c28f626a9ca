import { isIP } from "node:net";
import { performance } from "node:perf_hooks";
import { checkServerIdentity, connect, type PeerCertificate } from "node:tls";
import type { CheckStatus } from "../report.js";
import { type ProbeError, toProbeError } from "./errors.js";
import { round } from "./http.js";

/**
 * The certificate a site presents: a TLS handshake to host:port naming `servername` (SNI),
 * reading the peer certificate. The handshake itself never fails on an untrusted or expired
 * certificate — those are facts to report (assessCertificate), not probe errors.
 */

export interface CertificateProbeRequest {
  host: string;
  port: number;
  servername: string;
  timeoutMs: number;
  /** PEM of the CA to verify against instead of the system roots (e.g. Caddy's local root). */
  ca?: string;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  validFrom: Date;
  validTo: Date;
  /** issuer and subject are the same certificate (no CA involved). */
  selfSigned: boolean;
  /** The chain verifies against the system roots (or `ca` when given). */
  trusted: boolean;
  /** OpenSSL's verification error code when not trusted, e.g. CERT_HAS_EXPIRED. */
  trustError: string | null;
  /** The certificate names `servername` (SAN/CN). */
  hostnameMatches: boolean;
  /** DNS names in the certificate's subjectAltName. */
  altNames: string[];
}

export type CertificateOutcome =
  | { ok: true; cert: CertificateInfo; ms: number }
  | { ok: false; error: ProbeError; ms: number };

export function probeCertificate(req: CertificateProbeRequest): Promise<CertificateOutcome> {
  const started = performance.now();
  const address = `${req.host}:${req.port}`;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: CertificateOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const socket = connect({
      host: req.host,
      port: req.port,
      // SNI carries names only (RFC 6066); for an IP site the server picks by address.
      ...(isIP(req.servername) ? {} : { servername: req.servername }),
      rejectUnauthorized: false,
      ...(req.ca ? { ca: req.ca } : {}),
    });
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          error: toProbeError(
            Object.assign(new Error("timeout"), { code: "TIMEOUT" }),
            address,
            req.timeoutMs,
          ),
          ms: round(performance.now() - started),
        }),
      req.timeoutMs,
    );
    socket.once("secureConnect", () => {
      const peer = socket.getPeerCertificate(true);
      const ms = round(performance.now() - started);
      if (!peer || Object.keys(peer).length === 0) {
        finish({ ok: false, error: { code: "tls", message: `${address} presented no certificate` }, ms });
        return;
      }
      const authError = socket.authorizationError;
      finish({
        ok: true,
        ms,
        cert: describeCertificate(
          peer,
          req.servername,
          socket.authorized,
          authError ? String(authError) : null,
        ),
      });
    });
    socket.once("error", (err) =>
      finish({
        ok: false,
        error: toProbeError(err, address, req.timeoutMs),
        ms: round(performance.now() - started),
      }),
    );
  });
}

function describeCertificate(
  peer: PeerCertificate,
  servername: string,
  trusted: boolean,
  trustError: string | null,
): CertificateInfo {
  const altNames = (peer.subjectaltname ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4));
  const issuerCert = (peer as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
  const selfSigned =
    issuerCert !== undefined
      ? issuerCert.fingerprint256 === peer.fingerprint256
      : nameOf(peer.issuer) === nameOf(peer.subject);
  return {
    subject: nameOf(peer.subject),
    issuer: nameOf(peer.issuer),
    validFrom: new Date(peer.valid_from),
    validTo: new Date(peer.valid_to),
    selfSigned,
    trusted,
    trustError,
    hostnameMatches: checkServerIdentity(servername, peer) === undefined,
    altNames,
  };
}

function nameOf(dn: PeerCertificate["subject"] | undefined): string {
  if (!dn) return "";
  const pick = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  return pick(dn.CN) ?? pick(dn.O) ?? Object.values(dn).map(pick).filter(Boolean).join(", ");
}

export interface CertificateExpectation {
  /** "public": must chain to a trusted root; "internal": Caddy's local CA (untrusted by the system) is expected. */
  trust: "public" | "internal";
  now?: Date;
}

export interface CertificateAssessment {
  status: CheckStatus;
  detail: string;
  daysLeft: number;
  reason?: string;
  hint?: string;
}

const DAY_MS = 86_400_000;
/** Warn when less than this share of the certificate's lifetime is left (Caddy renews at 1/3). */
const WARN_LIFETIME_SHARE = 0.2;
const WARN_MAX_DAYS = 14;

/** Judge a certificate: expiry, hostname, trust — in that order of severity. */
export function assessCertificate(
  cert: CertificateInfo,
  servername: string,
  expect: CertificateExpectation,
): CertificateAssessment {
  const now = expect.now ?? new Date();
  const daysLeft = (cert.validTo.getTime() - now.getTime()) / DAY_MS;
  const lifetimeDays = (cert.validTo.getTime() - cert.validFrom.getTime()) / DAY_MS;
  const detail = `issuer ${cert.issuer || "(unnamed)"}, ${formatDaysLeft(daysLeft)}`;
  const renew = "Caddy renews certificates itself: check `stack logs caddy` for ACME/renewal errors";
  if (daysLeft <= 0)
    return {
      status: "fail",
      detail,
      daysLeft,
      reason: `certificate for ${servername} expired on ${cert.validTo.toISOString().slice(0, 10)}`,
      hint: renew,
    };
  if (cert.validFrom.getTime() > now.getTime())
    return {
      status: "fail",
      detail,
      daysLeft,
      reason: `certificate for ${servername} is not valid before ${cert.validFrom.toISOString()}`,
      hint: "check the host clock (timedatectl) and the certificate's issuer",
    };
  if (!cert.hostnameMatches)
    return {
      status: "fail",
      detail,
      daysLeft,
      reason: `certificate does not name ${servername} (it names ${cert.altNames.join(", ") || cert.subject || "nothing"})`,
      hint: "make stack.yaml `domain` match the site name clients use, then `stack render` and `stack up`",
    };
  if (expect.trust === "public" && !cert.trusted)
    return {
      status: "fail",
      detail,
      daysLeft,
      reason: `certificate for ${servername} is not publicly trusted (${cert.trustError ?? (cert.selfSigned ? "self-signed" : "unknown issuer")})`,
      hint: "with a real domain Caddy needs ports 80/443 reachable from the internet to get a certificate; or set `https: internal`",
    };
  if (expect.trust === "internal" && cert.selfSigned)
    return {
      status: "warn",
      detail,
      daysLeft,
      reason: `self-signed certificate for ${servername}, not one issued by Caddy's local CA`,
      hint: "check that the Caddyfile site uses `tls internal` and that nothing else answers on the HTTPS port",
    };
  if (daysLeft < Math.min(WARN_MAX_DAYS, lifetimeDays * WARN_LIFETIME_SHARE))
    return {
      status: "warn",
      detail,
      daysLeft,
      reason: `certificate for ${servername} expires soon (${formatDaysLeft(daysLeft)}) and was not renewed`,
      hint: renew,
    };
  const trustNote =
    expect.trust === "internal" ? (cert.trusted ? " (Caddy's local CA)" : " (internal CA)") : "";
  return { status: "ok", detail: `${detail}${trustNote}`, daysLeft };
}

export function formatDaysLeft(days: number): string {
  if (days <= 0) return `expired ${formatSpan(-days)} ago`;
  return `expires in ${formatSpan(days)}`;
}

function formatSpan(days: number): string {
  if (days >= 2) return `${Math.floor(days)} days`;
  const hours = days * 24;
  if (hours >= 1) return `${Math.floor(hours)} h`;
  return `${Math.max(1, Math.floor(hours * 60))} min`;
}
