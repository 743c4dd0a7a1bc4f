import type { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { LITESTRIPE_ENTITIES, LITESTRIPE_MIGRATIONS } from '@litestripe/nestjs';
import { resetEntitlementCache, truncateLitestripeTables } from '@litestripe/nestjs/testing';

/**
 * Each Jest worker gets a database of its own on the PostgreSQL server named by
 * TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), migrated once.
 */
const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let prepared: Promise<string> | undefined;

export function testDatabaseUrl(): Promise<string> {
  prepared ??= prepareDatabase();
  return prepared;
}

async function prepareDatabase(): Promise<string> {
  // Unique per run, so two test runs on one server never drop each other's databases.
  const name = `${testDatabasePrefix()}${process.env.JEST_WORKER_ID ?? '0'}`;
  const admin = new Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const migrator = new DataSource({ ...typeOrmOptions(url.toString()), migrationsRun: false });
  await migrator.initialize();
  await migrator.runMigrations();
  await migrator.destroy();
  return url.toString();
}

/** Set once per run by test/support/global-setup.js; global-teardown.js drops every database with it. */
export function testDatabasePrefix(): string {
  return `litestripe_test_${process.env.LITESTRIPE_TEST_RUN ?? process.pid}_`;
}

export function typeOrmOptions(url: string): DataSourceOptions {
  return { type: 'postgres', url, entities: LITESTRIPE_ENTITIES, migrations: LITESTRIPE_MIGRATIONS, poolSize: 10 };
}

const liveApps = new Set<INestApplicationContext>();

/** Lets `truncateTables` empty this app's entitlement cache too. */
export function trackEntitlementCache(app: INestApplicationContext): void {
  liveApps.add(app);
}

/**
 * Empties the tables, and the entitlement caches of this file's apps once each has received the
 * TRUNCATE's notification: a test must neither start on the last one's rows nor have its cache
 * emptied by that notification arriving late. (A closed app's listener no longer listens: it is
 * caught up at once.)
 */
export async function truncateTables(dataSource: DataSource): Promise<void> {
  await truncateLitestripeTables(dataSource);
  await Promise.all([...liveApps].map((app) => resetEntitlementCache(app)));
}
