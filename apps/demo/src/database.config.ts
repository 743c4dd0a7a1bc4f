import { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { LITESTRIPE_MIGRATIONS } from '@litestripe/nestjs';
import { serializedPGliteDriver } from './pglite.driver';

/**
 * PostgreSQL at `DATABASE_URL` when set; otherwise embedded PostgreSQL (PGlite), in memory or in
 * the directory `PGLITE_DATA_DIR`, so the demo runs with nothing installed.
 */
export function databaseOptions(env: NodeJS.ProcessEnv = process.env): TypeOrmModuleOptions {
  const common = { autoLoadEntities: true, migrations: LITESTRIPE_MIGRATIONS, migrationsRun: true } as const;
  if (env.DATABASE_URL) return { type: 'postgres', url: env.DATABASE_URL, ...common };
  return { type: 'postgres', driver: serializedPGliteDriver({ dataDir: env.PGLITE_DATA_DIR || undefined }), ...common };
}

/** Where the data lives, for the start-up log line (without the password). */
export function describeDatabase(env: NodeJS.ProcessEnv = process.env): string {
  if (!env.DATABASE_URL) return env.PGLITE_DATA_DIR ? `embedded PostgreSQL (PGlite) in ${env.PGLITE_DATA_DIR}` : 'embedded PostgreSQL (PGlite) in memory';
  const url = new URL(env.DATABASE_URL);
  url.password = '';
  return `PostgreSQL at ${url.toString()}`;
}
