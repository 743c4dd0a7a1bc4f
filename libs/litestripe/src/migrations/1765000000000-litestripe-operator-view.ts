import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the operator's view reads: the subscription and customer of each logged event, kept for as
 * long as the event is (unlike the ordering key, dropped once applied), so an operator sees the
 * events that shaped an account's rows (events logged before this migration have neither); and the
 * failed outbox entries, found without a scan of the delivered ones (health checks count them).
 */
export class LitestripeOperatorView1765000000000 implements MigrationInterface {
  name = 'LitestripeOperatorView1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "litestripe_event" ADD "subscription_id" text`);
    await queryRunner.query(`ALTER TABLE "litestripe_event" ADD "customer_id" text`);
    await queryRunner.query(`CREATE INDEX "litestripe_event_subscription_idx" ON "litestripe_event" ("subscription_id", "stripe_created") WHERE "subscription_id" IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "litestripe_event_customer_idx" ON "litestripe_event" ("customer_id", "stripe_created") WHERE "customer_id" IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "litestripe_outbox_failed_idx" ON "litestripe_outbox" ("failed_at") WHERE "failed_at" IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "litestripe_outbox_failed_idx"`);
    await queryRunner.query(`DROP INDEX "litestripe_event_customer_idx"`);
    await queryRunner.query(`DROP INDEX "litestripe_event_subscription_idx"`);
    await queryRunner.query(`ALTER TABLE "litestripe_event" DROP COLUMN "customer_id"`);
    await queryRunner.query(`ALTER TABLE "litestripe_event" DROP COLUMN "subscription_id"`);
  }
}
