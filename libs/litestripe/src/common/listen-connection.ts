import type { ClientConfig } from 'pg';
import type { DataSourceOptions } from 'typeorm';

/**
 * Where a listen connection goes (the entitlement cache's, the inbox's wake-ups): `listenUrl` when
 * given, else the DataSource's own PostgreSQL server (its primary, with replication). Null when the
 * DataSource runs on another driver (embedded PGlite: one process, announced in process) or is not
 * PostgreSQL.
 */
export function listenConnectionConfig(listenUrl: string | undefined, options: DataSourceOptions, applicationName = 'litestripe-cache-invalidation'): ClientConfig | null {
  const base = { application_name: applicationName };
  if (listenUrl) return { ...base, connectionString: listenUrl };
  if (options.type !== 'postgres' || options.driver) return null;
  const server = options.replication?.master ?? options;
  return {
    ...base,
    connectionString: server.url,
    host: server.host,
    port: server.port,
    user: server.username,
    password: server.password,
    database: server.database,
    // TypeORM passes its TLS options to pg as they are; their types differ only in a server-side callback.
    ssl: (server.ssl ?? options.ssl) as ClientConfig['ssl'],
    connectionTimeoutMillis: options.connectTimeoutMS,
  };
}
