import { createDatabase, dropDatabase, withClient } from '../../support/postgres-databases';

/**
 * The chaos suite's databases on the shared PostgreSQL server (TEST_DATABASE_URL): one per
 * scenario, named after the run (set by test/chaos/global-setup.js) so that runs never touch each
 * other's, dropped by the scenario and, whatever happened, by global-teardown.js.
 */
export const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function chaosDatabasePrefix(): string {
  return `litestripe_chaos_${process.env.LITESTRIPE_CHAOS_RUN ?? process.pid}_`;
}

/** A fresh database with the listener's `chaos_delivery` table (the hosts run the module's migrations). */
export async function createChaosDatabase(scenario: string): Promise<{ name: string; url: string }> {
  const name = `${chaosDatabasePrefix()}${scenario}`;
  const url = await createDatabase(SERVER_URL, name);
  // No unique constraint: a payload delivered twice is two rows. `called_at`: when the listener was
  // called (the host's clock, before it waits for a connection), `delivered_at`: when its INSERT ran.
  await withClient(url, (c) =>
    c.query('CREATE TABLE chaos_delivery (payload_id text NOT NULL, instance text NOT NULL, called_at timestamptz, delivered_at timestamptz NOT NULL DEFAULT now())'),
  );
  return { name, url };
}

export async function dropChaosDatabase(name: string): Promise<void> {
  await dropDatabase(SERVER_URL, name);
}
