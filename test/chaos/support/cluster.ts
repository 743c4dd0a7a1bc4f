import { randomBytes, randomUUID } from 'node:crypto';
import { createChaosDatabase, dropChaosDatabase } from './database';
import { HostProcess } from './host-process';
import { Target } from './sender';

/** One run's credentials: the log scan looks for exactly these (and for their shapes). */
export const SECRET_KEY = `sk_test_chaos${randomBytes(12).toString('hex')}`;
export const WEBHOOK_SECRET = `whsec_chaos${randomBytes(16).toString('hex')}`;

export interface Cluster {
  databaseUrl: string;
  hosts: HostProcess[];
  targets: Target[];
  close(): Promise<void>;
}

export interface ClusterOptions {
  instances: number;
  /** Extra environment of every host (listener knobs). */
  env?: Record<string, string>;
  /** The URL the hosts connect with (e.g. through a proxy); the checks use the direct one. */
  hostDatabaseUrl?: (url: string) => string;
}

/** A fresh database and `instances` hosts sharing it, started one after the other (the first runs the migrations). */
export async function startCluster(scenario: string, options: ClusterOptions): Promise<Cluster> {
  const database = await createChaosDatabase(scenario);
  const webhookUuid = randomUUID();
  const hosts: HostProcess[] = [];
  const close = async () => {
    await Promise.all(hosts.map((host) => host.stop()));
    await dropChaosDatabase(database.name);
  };
  try {
    for (let i = 0; i < options.instances; i++) {
      const host = await HostProcess.create({
        name: `${scenario}-${String.fromCharCode(65 + i)}`,
        databaseUrl: options.hostDatabaseUrl ? options.hostDatabaseUrl(database.url) : database.url,
        secretKey: SECRET_KEY,
        webhookSecret: WEBHOOK_SECRET,
        webhookUuid,
        env: options.env,
      });
      hosts.push(host);
      await host.start();
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { databaseUrl: database.url, hosts, targets: hosts.map((h) => ({ port: h.port, path: h.path })), close };
}
