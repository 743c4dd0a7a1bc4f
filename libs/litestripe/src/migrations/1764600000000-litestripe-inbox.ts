import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event log doubles as the inbox of deferred webhook processing: an event waiting to be applied
 * has the outcome `pending`, its ordering key, the fields its handler needs (`work`, dropped once
 * applied) and when an applier may take it next (`available_at`: a lease, or a retry's backoff).
 * The partial index holds only waiting events, so taking a batch, the depth and the lag stay cheap
 * however long the log is.
 */
export class LitestripeInbox1764600000000 implements MigrationInterface {
  name = 'LitestripeInbox1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "litestripe_event" ADD "ordering_key" text`);
    await queryRunner.query(`ALTER TABLE "litestripe_event" ADD "work" jsonb`);
    await queryRunner.query(`ALTER TABLE "litestripe_event" ADD "available_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "litestripe_event_pending_idx" ON "litestripe_event" ("received_at") WHERE "outcome" = 'pending'`);
    await queryRunner.query(`CREATE INDEX "litestripe_event_failed_idx" ON "litestripe_event" ("received_at") WHERE "outcome" = 'failed'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "litestripe_event_failed_idx"`);
    await queryRunner.query(`DROP INDEX "litestripe_event_pending_idx"`);
    await queryRunner.query(`ALTER TABLE "litestripe_event" DROP COLUMN "available_at"`);
    await queryRunner.query(`ALTER TABLE "litestripe_event" DROP COLUMN "work"`);
    await queryRunner.query(`ALTER TABLE "litestripe_event" DROP COLUMN "ordering_key"`);
  }
}
