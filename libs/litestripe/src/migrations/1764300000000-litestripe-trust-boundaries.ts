import { MigrationInterface, QueryRunner } from 'typeorm';

/** Adds the pending account link of a claim or relink in progress, and the event log's retention index. */
export class LitestripeTrustBoundaries1764300000000 implements MigrationInterface {
  name = 'LitestripeTrustBoundaries1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "litestripe_subscription" ADD "link_pending_ref" text`);
    await queryRunner.query(`ALTER TABLE "litestripe_subscription" ADD "link_pending_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "litestripe_event_stripe_created_idx" ON "litestripe_event"("stripe_created") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "litestripe_event_stripe_created_idx"`);
    await queryRunner.query(`ALTER TABLE "litestripe_subscription" DROP COLUMN "link_pending_at"`);
    await queryRunner.query(`ALTER TABLE "litestripe_subscription" DROP COLUMN "link_pending_ref"`);
  }
}
