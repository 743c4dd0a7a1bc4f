import { DataSource } from 'typeorm';
import { LITESTRIPE_ENTITIES, LITESTRIPE_MIGRATIONS } from '@litestripe/nestjs';
import { testDatabaseUrl, typeOrmOptions } from './support/test-database';

describe('migrations', () => {
  let dataSource: DataSource;
  beforeAll(async () => {
    dataSource = new DataSource(typeOrmOptions(await testDatabaseUrl()));
    await dataSource.initialize();
  });
  afterAll(() => dataSource.destroy());

  it('create exactly the schema the entities describe (no drift for synchronize to fix)', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('are all applied, in order, and each can be reverted and applied again', async () => {
    const applied: { name: string }[] = await dataSource.query('SELECT name FROM migrations ORDER BY id');
    expect(applied.map((m) => m.name)).toEqual(LITESTRIPE_MIGRATIONS.map((m) => m.name));
    for (let i = 0; i < LITESTRIPE_MIGRATIONS.length; i++) await dataSource.undoLastMigration();
    const tables: { count: string }[] = await dataSource.query(`SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'litestripe\\_%'`);
    expect(Number(tables[0].count)).toBe(0);
    await dataSource.runMigrations();
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    expect(LITESTRIPE_ENTITIES.length).toBeGreaterThan(0);
  });
});
