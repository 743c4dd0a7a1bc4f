import { MigrationInterface, QueryRunner } from 'typeorm';

/** Guests (subscribers without an account) and their access tokens, stored only as hashes. */
export class LitestripeGuests1764900000000 implements MigrationInterface {
  name = 'LitestripeGuests1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "litestripe_guest" ("id" text NOT NULL, "livemode" boolean NOT NULL DEFAULT false, "checkout_session_id" text NOT NULL, "subscription_id" text NOT NULL, "customer_id" text, "email" text, "token_issued_at" TIMESTAMP WITH TIME ZONE, "linked_account_ref" text, "linked_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "litestripe_guest_pkey" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "litestripe_guest_session_key" ON "litestripe_guest" ("checkout_session_id")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "litestripe_guest_subscription_key" ON "litestripe_guest" ("subscription_id")`);
    await queryRunner.query(
      `CREATE TABLE "litestripe_guest_token" ("selector" text NOT NULL, "guest_id" text NOT NULL, "verifier_hash" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "litestripe_guest_token_pkey" PRIMARY KEY ("selector"))`,
    );
    await queryRunner.query(`CREATE INDEX "litestripe_guest_token_guest_idx" ON "litestripe_guest_token" ("guest_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "litestripe_guest_token"`);
    await queryRunner.query(`DROP TABLE "litestripe_guest"`);
  }
}
