/**
 * The gateway's errors (src/gateway/errors.ts) as the CLI's: same code, message, place and hint; the
 * exit code is the CLI's business (a refused option is a usage error, exit 2; the rest exit 1).
 */
import { type ErrorCode, GatestackError } from "../errors.js";
import type { GatewayError, GatewayErrorCode } from "../gateway/errors.js";

const AS_CLI: Record<GatewayErrorCode, { code: ErrorCode; exitCode: number }> = {
  E_USAGE: { code: "E_USAGE", exitCode: 2 },
  E_GATEWAY_CONFIG: { code: "E_GATEWAY_CONFIG", exitCode: 1 },
  E_DATABASE: { code: "E_DATABASE", exitCode: 1 },
  E_MIGRATIONS: { code: "E_MIGRATIONS", exitCode: 1 },
  E_PORT_BUSY: { code: "E_PORT_BUSY", exitCode: 1 },
  E_IO: { code: "E_IO", exitCode: 1 },
  // errors of the request path (a body, an upstream attempt, a probe) never reach a command: if one does it is a bug
  GW_BODY_TOO_LARGE: { code: "E_INTERNAL", exitCode: 1 },
  GW_UPSTREAM_READ_TIMEOUT: { code: "E_INTERNAL", exitCode: 1 },
  GW_UPSTREAM_WRITE_TIMEOUT: { code: "E_INTERNAL", exitCode: 1 },
  GW_CLIENT_ABORT: { code: "E_INTERNAL", exitCode: 1 },
  GW_PROBE_TIMEOUT: { code: "E_INTERNAL", exitCode: 1 },
};

export function fromGatewayError(err: GatewayError): GatestackError {
  const { code, exitCode } = AS_CLI[err.code];
  return new GatestackError(code, err.message, {
    ...(err.place === undefined ? {} : { place: err.place }),
    ...(err.hint === undefined ? {} : { hint: err.hint }),
    ...(err.data === undefined ? {} : { data: err.data }),
    exitCode,
    cause: err,
  });
}
