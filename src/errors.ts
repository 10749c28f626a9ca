/**
 * Typed errors with stable codes (undici style). Every error a user can see is a
 * GatestackError: `code` never changes between releases, `message` is one line,
 * `place` names where the problem is (file:line:col, key path, header…),
 * `hint` says what to try.
 */
export type ErrorCode =
  | "E_USAGE"
  | "E_COMMAND_NOT_FOUND"
  | "E_YAML_SYNTAX"
  | "E_STACK_INVALID"
  | "E_STACK_NOT_FOUND"
  | "E_TEMPLATE_UNKNOWN"
  | "E_DIR_NOT_EMPTY"
  | "E_RENDER_STALE"
  | "E_RENDER_FAILED"
  | "E_IO"
  | "E_GATEWAY_CONFIG"
  | "E_GATEWAY_ADMIN"
  | "E_SYNC_CONFLICT"
  | "E_DOCKER_UNREACHABLE"
  | "E_DOCKER"
  | "E_SWARM"
  | "E_DATABASE"
  | "E_MIGRATIONS"
  | "E_DEPLOY_FAILED"
  | "E_PORT_BUSY"
  | "E_PREFLIGHT"
  | "E_TIMEOUT"
  | "E_INTERRUPTED"
  | "E_STACK_NOT_RUNNING"
  | "E_INTERNAL"
  | "E_ENV_INVALID"
  | "E_OPENAPI_INVALID";

export interface ErrorDetails {
  /** Where the problem is: `stack.yaml:12:5`, `services[0].routes[1].paths[0]`, `header Host`… */
  place?: string;
  /** What the user can try next. */
  hint?: string;
  /** Process exit code for the CLI (default 1). */
  exitCode?: number;
  /** Extra structured data included in --json error output. */
  data?: Record<string, unknown>;
  cause?: unknown;
}

export class GatestackError extends Error {
  readonly code: ErrorCode;
  readonly place: string | undefined;
  readonly hint: string | undefined;
  readonly exitCode: number;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "GatestackError";
    this.code = code;
    this.place = details.place;
    this.hint = details.hint;
    this.exitCode = details.exitCode ?? 1;
    this.data = details.data;
  }

  /** One line for humans: `place: message`. */
  toLine(): string {
    return this.place ? `${this.place}: ${this.message}` : this.message;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.place ? { place: this.place } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.data ? { data: this.data } : {}),
    };
  }
}

export function isGatestackError(err: unknown): err is GatestackError {
  return err instanceof GatestackError;
}

/** Narrow an unknown thrown value to a message without leaking stack traces to users. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
