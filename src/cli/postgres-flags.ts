import { Flags } from "@oclif/core";

/**
 * PostgreSQL connection flags shared by `stack gateway serve` and `stack gateway migrations`; each
 * falls back to GATEWAY_PG_* then Kong's KONG_PG_* variables. The password is environment-only
 * (KONG_PG_PASSWORD or KONG_PG_PASSWORD_FILE): a flag would show in `ps`.
 */
export const postgresFlags = () => ({
  "pg-host": Flags.string({
    description: "PostgreSQL host. Env: GATEWAY_PG_HOST, KONG_PG_HOST. [default: 127.0.0.1]",
  }),
  "pg-port": Flags.string({
    description: "PostgreSQL port. Env: GATEWAY_PG_PORT, KONG_PG_PORT. [default: 5432]",
  }),
  "pg-user": Flags.string({
    description: "PostgreSQL user. Env: GATEWAY_PG_USER, KONG_PG_USER. [default: kong]",
  }),
  "pg-database": Flags.string({
    description: "PostgreSQL database. Env: GATEWAY_PG_DATABASE, KONG_PG_DATABASE. [default: kong]",
  }),
});
