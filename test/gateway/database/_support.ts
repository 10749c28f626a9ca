/**
 * Database mode under test: one real throwaway PostgreSQL cluster per test file
 * (test/support/postgres.ts), a fresh bootstrapped database per test, and gateways started
 * in-process on it (startTestGateway with `database`).
 */
import { afterAll, beforeAll } from "vitest";
import type { Gateway, GatewayOptions } from "../../../src/gateway/server.js";
import { bootstrap } from "../../../src/gateway/store/postgres/migrations.js";
import { DEFAULT_POSTGRES, type PostgresSettings } from "../../../src/gateway/store/postgres/settings.js";
import type { Cleanups } from "../../support/cleanups.js";
import { startTestGateway } from "../../support/gateway.js";
import { startTestPostgres, type TestPostgres } from "../../support/postgres.js";

export interface DatabaseFixture {
  pg(): TestPostgres;
  /** settings for a new bootstrapped database (or `database` when given) */
  freshDatabase(opts?: { bootstrapped?: boolean }): Promise<PostgresSettings>;
  /** a gateway in database mode on `settings`, closed by `cleanups` */
  gateway(settings: PostgresSettings, extra?: Partial<GatewayOptions>): Promise<Gateway>;
}

export function postgresPerFile(cleanups: Cleanups): DatabaseFixture {
  let pg: TestPostgres | null = null;
  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.destroy();
  });
  const settingsOf = (database: string): PostgresSettings => ({
    ...DEFAULT_POSTGRES,
    host: pg!.host,
    port: pg!.port,
    user: pg!.user,
    password: pg!.password,
    database,
    timeoutMs: 2000,
  });
  return {
    pg: () => pg!,
    freshDatabase: async (opts = {}) => {
      const settings = settingsOf(await pg!.createDatabase());
      if (opts.bootstrapped !== false) await bootstrap(settings);
      return settings;
    },
    gateway: async (settings, extra = {}) => {
      const gw = await startTestGateway(undefined, { database: { postgres: settings }, ...extra });
      cleanups.push(() => gw.close());
      return gw;
    },
  };
}
