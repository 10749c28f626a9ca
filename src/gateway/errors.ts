/**
 * The gateway's errors: one family, each with a stable `code` (undici's lib/core/errors.js is the
 * model: a base class, one small subclass per kind, the code a constant of the class). The gateway
 * never speaks of exit codes: the CLI (src/cli/gateway-errors.ts) turns these into its own errors.
 *
 * `place` names where the problem is (a setting, a file, `database`), `hint` what to try next.
 */
import type { DeclarativeConfigError } from "./config/types.js";

export type GatewayErrorCode =
  | "E_USAGE"
  | "E_GATEWAY_CONFIG"
  | "E_DATABASE"
  | "E_MIGRATIONS"
  | "E_PORT_BUSY"
  | "E_IO"
  | "GW_BODY_TOO_LARGE"
  | "GW_UPSTREAM_READ_TIMEOUT"
  | "GW_UPSTREAM_WRITE_TIMEOUT"
  | "GW_CLIENT_ABORT"
  | "GW_PROBE_TIMEOUT";

export interface GatewayErrorDetails {
  place?: string;
  hint?: string;
  cause?: unknown;
}

/** Marks the family across copies of this module (the built package beside the sources). */
const GATEWAY_ERROR = Symbol.for("gatestack.gateway.error");

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly place: string | undefined;
  readonly hint: string | undefined;
  readonly [GATEWAY_ERROR] = true;

  constructor(code: GatewayErrorCode, message: string, details: GatewayErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "GatewayError";
    this.code = code;
    this.place = details.place;
    this.hint = details.hint;
  }

  /** Structured data beside the message (a subclass's details); none by default. */
  get data(): Record<string, unknown> | undefined {
    return undefined;
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return (
    typeof err === "object" && err !== null && (err as { [GATEWAY_ERROR]?: unknown })[GATEWAY_ERROR] === true
  );
}

/** startGateway's options refused (addresses, trusted IPs, an Admin API exposed without a token). */
export class GatewayOptionsError extends GatewayError {
  constructor(message: string, details: GatewayErrorDetails = {}) {
    super("E_USAGE", message, details);
    this.name = "GatewayOptionsError";
  }
}

/** A configuration the declarative loader rejects: Kong's code-14 error in `error`. */
export class ConfigInvalidError extends GatewayError {
  constructor(
    readonly error: DeclarativeConfigError,
    details: GatewayErrorDetails & { message?: string } = {},
  ) {
    super("E_GATEWAY_CONFIG", details.message ?? error.message, details);
    this.name = "ConfigInvalidError";
  }

  override get data(): Record<string, unknown> {
    return { error: this.error };
  }
}

/** The configuration file is missing or unreadable. */
export class ConfigFileError extends GatewayError {
  constructor(message: string, details: GatewayErrorDetails = {}) {
    super("E_GATEWAY_CONFIG", message, details);
    this.name = "ConfigFileError";
  }
}

/** Database mode: PostgreSQL cannot be reached (or answers that it cannot serve). */
export class DatabaseUnavailableError extends GatewayError {
  constructor(message: string, details: GatewayErrorDetails = {}) {
    super("E_DATABASE", message, details);
    this.name = "DatabaseUnavailableError";
  }
}

/** Database mode: the schema is not bootstrapped, has pending migrations, or a migration failed. */
export class MigrationsError extends GatewayError {
  constructor(message: string, details: GatewayErrorDetails = {}) {
    super("E_MIGRATIONS", message, details);
    this.name = "MigrationsError";
  }
}

/** A listener cannot start: its address is taken (E_PORT_BUSY) or refused (E_IO). */
export class ListenError extends GatewayError {
  constructor(
    readonly busy: boolean,
    message: string,
    details: GatewayErrorDetails = {},
  ) {
    super(busy ? "E_PORT_BUSY" : "E_IO", message, details);
    this.name = "ListenError";
  }
}

/** A request body over the limit it was read with. */
export class BodyTooLargeError extends GatewayError {
  constructor(
    readonly limit: number,
    message = `request body larger than ${limit} bytes`,
  ) {
    super("GW_BODY_TOO_LARGE", message);
    this.name = "BodyTooLargeError";
  }
}

/**
 * An upstream attempt's own timer fired (Kong's `read_timeout` / `write_timeout`): no response head
 * (or no body chunk) within the read timeout, or the request body not sent within the write timeout.
 */
export class UpstreamTimeoutError extends GatewayError {
  constructor(readonly phase: "read" | "write") {
    super(
      phase === "read" ? "GW_UPSTREAM_READ_TIMEOUT" : "GW_UPSTREAM_WRITE_TIMEOUT",
      `upstream ${phase} timeout`,
    );
    this.name = "UpstreamTimeoutError";
  }
}

/** The client closed its connection while the gateway was still proxying its request. */
export class ClientAbortError extends GatewayError {
  constructor() {
    super("GW_CLIENT_ABORT", "client closed the connection");
    this.name = "ClientAbortError";
  }
}

/** An active health check's TCP connect did not complete within the check's timeout. */
export class ProbeTimeoutError extends GatewayError {
  constructor(readonly timeoutMs: number) {
    super("GW_PROBE_TIMEOUT", `tcp probe timeout after ${timeoutMs} ms`);
    this.name = "ProbeTimeoutError";
  }
}
