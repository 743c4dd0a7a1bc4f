import type { DataSource } from 'typeorm';

/**
 * Subscriptions of this mode whose rows an upgrade left incomplete, oldest first: a pause stored
 * before its behaviour was (`pause_behavior` `unknown`, from the `LitestripePauseCollection`
 * migration or a behaviour this version does not know).
 */
export async function rowsToUpgrade(dataSource: DataSource, livemode: boolean): Promise<string[]> {
  const rows: { id: string }[] = await dataSource.query(
    `SELECT "id" FROM "litestripe_subscription" WHERE "pause_behavior" = 'unknown' AND "livemode" = $1 ORDER BY "created_at", "id"`,
    [livemode],
  );
  return rows.map((row) => row.id);
}
