import { MigrationInterface, QueryRunner } from 'typeorm';

/** Adds the account → Stripe customer mapping (ids only), per mode, used by checkout. */
export class LitestripeEntitlements1764100000000 implements MigrationInterface {
  name = 'LitestripeEntitlements1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "litestripe_customer" ("account_ref" text NOT NULL, "livemode" boolean NOT NULL, "customer_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "litestripe_customer_pkey" PRIMARY KEY ("account_ref", "livemode"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "litestripe_customer_customer_key" ON "litestripe_customer" ("customer_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "litestripe_customer"`);
  }
}
