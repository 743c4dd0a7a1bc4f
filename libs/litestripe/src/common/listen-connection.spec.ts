import type { DataSourceOptions } from 'typeorm';
import { listenConnectionConfig } from './listen-connection.js';

describe('listenConnectionConfig', () => {
  it('takes listenUrl over the DataSource, for hosts behind a transaction-mode pooler', () => {
    expect(listenConnectionConfig('postgres://direct:5432/app', { type: 'postgres', url: 'postgres://pgbouncer:6432/app' })).toEqual({
      application_name: 'litestripe-cache-invalidation',
      connectionString: 'postgres://direct:5432/app',
    });
  });

  it('listens on the DataSource’s own server, its primary when it replicates', () => {
    const plain = listenConnectionConfig(undefined, { type: 'postgres', host: 'db', port: 5433, username: 'app', password: 'secret', database: 'main', connectTimeoutMS: 2000 });
    expect(plain).toMatchObject({ host: 'db', port: 5433, user: 'app', password: 'secret', database: 'main', connectionTimeoutMillis: 2000 });
    const replicated = listenConnectionConfig(undefined, {
      type: 'postgres',
      replication: { master: { host: 'primary', database: 'main' }, slaves: [{ host: 'replica', database: 'main' }] },
    } as DataSourceOptions);
    expect(replicated).toMatchObject({ host: 'primary', database: 'main' });
  });

  it('has nothing to listen on with a custom driver (embedded PGlite) or another database', () => {
    expect(listenConnectionConfig(undefined, { type: 'postgres', driver: {} } as DataSourceOptions)).toBeNull();
    expect(listenConnectionConfig(undefined, { type: 'mysql', host: 'db' })).toBeNull();
  });
});
