import { Client } from 'pg';
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

  it('carry a pause stored as a flag over as a pause of unknown behaviour, and back', async () => {
    const undoThroughPauseCollection = async () => {
      while ((await dataSource.query(`SELECT 1 FROM migrations WHERE name = 'LitestripePauseCollection1764400000000'`)).length > 0) await dataSource.undoLastMigration();
    };
    await undoThroughPauseCollection();
    await dataSource.query(`INSERT INTO litestripe_subscription (id, status, collection_paused) VALUES ('sub_paused', 'active', true), ('sub_collecting', 'active', false)`);
    await dataSource.runMigrations();
    const pauses = async () => dataSource.query(`SELECT id, pause_behavior, pause_resumes_at FROM litestripe_subscription WHERE id LIKE 'sub_%' ORDER BY id`);
    expect(await pauses()).toEqual([
      { id: 'sub_collecting', pause_behavior: null, pause_resumes_at: null },
      { id: 'sub_paused', pause_behavior: 'unknown', pause_resumes_at: null },
    ]);
    await dataSource.query(`UPDATE litestripe_subscription SET pause_behavior = 'void' WHERE id = 'sub_collecting'`);
    await undoThroughPauseCollection();
    expect(await dataSource.query(`SELECT id, collection_paused FROM litestripe_subscription WHERE id LIKE 'sub_%' ORDER BY id`)).toEqual([
      { id: 'sub_collecting', collection_paused: true },
      { id: 'sub_paused', collection_paused: true },
    ]);
    await dataSource.query(`DELETE FROM litestripe_subscription`);
    await dataSource.runMigrations();
  });

  it('announce each committed change of a subscription row with its accounts, and nothing for a rollback', async () => {
    const listener = new Client({ connectionString: await testDatabaseUrl() });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', (message) => payloads.push(message.payload ?? ''));
    await listener.query('LISTEN litestripe_subscription_changed');
    const announced = async (sql: string) => {
      payloads.length = 0;
      await dataSource.query(sql);
      await listener.query('SELECT 1'); // notifications committed before this query arrive before its answer
      return [...payloads];
    };
    try {
      expect(await announced(`INSERT INTO litestripe_subscription (id, account_ref, status) VALUES ('sub_n1', 'acct_a', 'active'), ('sub_n2', NULL, 'active')`)).toEqual(['acct_a']);
      expect(await announced(`UPDATE litestripe_subscription SET status = 'past_due' WHERE id = 'sub_n1'`)).toEqual(['acct_a']);
      expect(await announced(`UPDATE litestripe_subscription SET account_ref = 'acct_b' WHERE id = 'sub_n1'`)).toEqual(['acct_a', 'acct_b']);
      expect(await announced(`UPDATE litestripe_subscription SET account_ref = 'acct_c' WHERE id = 'sub_n2'`)).toEqual(['acct_c']);
      expect(await announced(`BEGIN; UPDATE litestripe_subscription SET status = 'canceled' WHERE id = 'sub_n1'; ROLLBACK`)).toEqual([]);
      expect(await announced(`DELETE FROM litestripe_subscription WHERE id = 'sub_n2'`)).toEqual(['acct_c']);
      expect(await announced(`TRUNCATE litestripe_subscription`)).toEqual(['']);
    } finally {
      await listener.end();
    }
  });
});
