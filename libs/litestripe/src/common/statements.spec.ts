import { EntityManager } from 'typeorm';
import { runAsOne } from './statements.js';

/** A transaction's manager that records what it is asked to run. */
function recordingManager(): { manager: EntityManager; sent: { sql: string; params: unknown[] }[] } {
  const sent: { sql: string; params: unknown[] }[] = [];
  const queryRunner = { query: async (sql: string, params: unknown[]) => (sent.push({ sql, params }), { records: [] }) };
  return { manager: { queryRunner } as unknown as EntityManager, sent };
}

describe('runAsOne', () => {
  it('sends nothing for no statement, and a lone statement as it is', async () => {
    const { manager, sent } = recordingManager();
    await runAsOne(manager, [null, null]);
    expect(sent).toEqual([]);
    await runAsOne(manager, [null, { sql: 'UPDATE a SET x = $1 WHERE id = $2', params: [1, 'a'] }]);
    expect(sent).toEqual([{ sql: 'UPDATE a SET x = $1 WHERE id = $2', params: [1, 'a'] }]);
  });

  it('joins several into one statement, renumbering each one\'s parameters after the previous ones', async () => {
    const { manager, sent } = recordingManager();
    await runAsOne(manager, [
      { sql: 'UPDATE a SET x = $1 WHERE id = $2', params: [1, 'a'] },
      null,
      { sql: 'INSERT INTO b SELECT * FROM unnest($1::text[]) ON CONFLICT DO NOTHING', params: [['b']] },
      { sql: 'UPDATE c SET y = $2 WHERE id = $1 AND z = $10', params: ['c', 2, 3, 4, 5, 6, 7, 8, 9, 10] },
    ]);
    expect(sent).toEqual([
      {
        sql:
          'WITH s0 AS (UPDATE a SET x = $1 WHERE id = $2), s1 AS (INSERT INTO b SELECT * FROM unnest($3::text[]) ON CONFLICT DO NOTHING), ' +
          's2 AS (UPDATE c SET y = $5 WHERE id = $4 AND z = $13) SELECT 1',
        params: [1, 'a', ['b'], 'c', 2, 3, 4, 5, 6, 7, 8, 9, 10],
      },
    ]);
  });
});
