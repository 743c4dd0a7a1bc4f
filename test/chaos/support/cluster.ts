import { randomBytes, randomUUID } from 'node:crypto';
import { withClient } from '../../support/postgres-databases';
import { createChaosDatabase, dropChaosDatabase } from './database';
import { HostProcess } from './host-process';
import { WebhookMode } from './mode';
import { Target } from './sender';

/** One run's credentials: the log scan looks for exactly these (and for their shapes). */
export const SECRET_KEY = `sk_test_chaos${randomBytes(12).toString('hex')}`;
export const WEBHOOK_SECRET = `whsec_chaos${randomBytes(16).toString('hex')}`;
/** The `client_reference_id` whose account check always throws in the hosts (`validateClientReference`): a poisoned event. */
export const POISON_REFERENCE = 'acct_chaos_poisoned';

export interface Cluster {
  databaseUrl: string;
  hosts: HostProcess[];
  targets: Target[];
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** The hosts' `webhookProcessing`. */
  mode: WebhookMode;
  instances: number;
  /** Extra environment of every host (listener knobs). */
  env?: Record<string, string>;
  /** The URL the hosts connect with (e.g. through a proxy); the checks use the direct one. */
  hostDatabaseUrl?: (url: string) => string;
}

/**
 * A fresh database and `instances` hosts sharing it, started one after the other (the first runs the
 * migrations). Database and hosts are named after the scenario and the mode (`storm_deferred`,
 * `storm-deferred-A`), so that the log scan tells every process apart.
 */
export async function startCluster(scenario: string, options: ClusterOptions): Promise<Cluster> {
  const database = await createChaosDatabase(`${scenario}_${options.mode}`);
  const webhookUuid = randomUUID();
  const hosts: HostProcess[] = [];
  const close = async () => {
    await Promise.all(hosts.map((host) => host.stop()));
    await dropChaosDatabase(database.name);
  };
  try {
    for (let i = 0; i < options.instances; i++) {
      const host = await HostProcess.create({
        name: `${scenario}-${options.mode}-${String.fromCharCode(65 + i)}`,
        databaseUrl: options.hostDatabaseUrl ? options.hostDatabaseUrl(database.url) : database.url,
        secretKey: SECRET_KEY,
        webhookSecret: WEBHOOK_SECRET,
        webhookUuid,
        env: { CHAOS_WEBHOOK_PROCESSING: options.mode, CHAOS_POISON_REFERENCE: POISON_REFERENCE, ...options.env },
      });
      hosts.push(host);
      await host.start();
    }
    await traceOutboxWrites(database.url);
  } catch (error) {
    await close();
    throw error;
  }
  return { databaseUrl: database.url, hosts, targets: hosts.map((h) => ({ port: h.port, path: h.path })), close };
}

/**
 * Notes in `chaos_outbox_write` every committed transaction that writes an outbox entry, conflicting
 * writes included (a BEFORE INSERT trigger fires before ON CONFLICT DO NOTHING; a rolled-back
 * transaction's notes roll back with it). A domain event written by two transactions means its
 * Stripe event was applied twice, whatever the listener saw.
 */
async function traceOutboxWrites(url: string): Promise<void> {
  await withClient(url, async (c) => {
    await c.query('CREATE TABLE chaos_outbox_write (id text NOT NULL, txid bigint NOT NULL, written_at timestamptz NOT NULL)');
    await c.query(`CREATE FUNCTION chaos_trace_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO chaos_outbox_write VALUES (NEW.id, txid_current(), clock_timestamp()); RETURN NEW; END $$`);
    await c.query('CREATE TRIGGER chaos_trace_outbox BEFORE INSERT ON litestripe_outbox FOR EACH ROW EXECUTE FUNCTION chaos_trace_outbox()');
  });
}
