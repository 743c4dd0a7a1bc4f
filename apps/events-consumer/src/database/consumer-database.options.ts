import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { CreateConsumerTables1767225600000 } from './consumer-tables.migration';

/**
 * PostgreSQL with the consumer's migrations run at start-up. Its own migrations table, so the
 * consumer can share a database with a service that runs TypeORM migrations of its own.
 */
export function consumerDatabaseOptions(url: string): TypeOrmModuleOptions {
  return {
    type: 'postgres',
    url,
    migrations: [CreateConsumerTables1767225600000],
    migrationsRun: true,
    migrationsTableName: 'consumer_migrations',
  };
}
