import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replaces the `collection_paused` flag with the pause's behaviour and end. A row paused before
 * this migration gets the behaviour `unknown`, which keeps the old answer (not entitled) until
 * `sync upgrade` re-reads it from Stripe.
 */
export class LitestripePauseCollection1764400000000 implements MigrationInterface {
  name = 'LitestripePauseCollection1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "litestripe_subscription" ADD "pause_behavior" text`);
    await queryRunner.query(`ALTER TABLE "litestripe_subscription" ADD "pause_resumes_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`UPDATE "litestripe_subscription" SET "pause_behavior" = 'unknown' WHERE "collection_paused"`);
    await queryRunner.query(`ALTER TABLE "litestripe_subscription" DROP COLUMN "collection_paused"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "litestripe_subscription" ADD "collection_paused" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`UPDATE "litestripe_subscription" SET "collection_paused" = true WHERE "pause_behavior" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "litestripe_subscription" DROP COLUMN "pause_resumes_at"`);
    await queryRunner.query(`ALTER TABLE "litestripe_subscription" DROP COLUMN "pause_behavior"`);
  }
}
