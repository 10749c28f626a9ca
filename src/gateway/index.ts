/**
 * The gateway as a library (`import { startGateway } from "gatestack/gateway"`): start it, the options
 * it takes, the configuration types it serves, and the errors it throws (each with a stable `code`).
 * `stack gateway serve` is one user of this entry: it maps flags and environment onto GatewayOptions.
 */

export { GATESTACK_VERSION } from "../version.js";
export type { DeclarativeConfigError, GatewayConfig } from "./config/types.js";
export {
  BodyTooLargeError,
  ClientAbortError,
  ConfigFileError,
  ConfigInvalidError,
  DatabaseUnavailableError,
  GatewayError,
  type GatewayErrorCode,
  type GatewayErrorDetails,
  GatewayOptionsError,
  isGatewayError,
  ListenError,
  MigrationsError,
  ProbeTimeoutError,
  UpstreamTimeoutError,
} from "./errors.js";
export { formatListen, type ListenAddress, parseListen } from "./listen.js";
export { jsonLogger, silentLogger } from "./logger.js";
export type { GatewayLogger } from "./plugins/types.js";
export { type Gateway, type GatewayOptions, startGateway } from "./server.js";
export { DEFAULT_POSTGRES, type PostgresSettings } from "./store/postgres/settings.js";
