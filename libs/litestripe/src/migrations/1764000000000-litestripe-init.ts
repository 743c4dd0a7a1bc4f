import { MigrationInterface, QueryRunner } from 'typeorm';

/** Creates the module's tables: subscriptions, orphaned payments and the event log. */
export class LitestripeInit1764000000000 implements MigrationInterface {
  name = 'LitestripeInit1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "litestripe_orphaned_payment" ("id" integer GENERATED ALWAYS AS IDENTITY NOT NULL, "email" text, "customer_id" text, "subscription_id" text NOT NULL, "checkout_session_id" text, "amount" bigint, "currency" text, "reason" text NOT NULL, "rejected_reference" text, "livemode" boolean NOT NULL DEFAULT false, "stripe_created" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "resolved_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "litestripe_orphaned_payment_pkey" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "litestripe_orphaned_payment_subscription_key" ON "litestripe_orphaned_payment"("subscription_id") `);
    await queryRunner.query(`CREATE TABLE "litestripe_event" ("id" text NOT NULL, "type" text NOT NULL, "api_version" text, "livemode" boolean NOT NULL, "account" text, "stripe_created" TIMESTAMP WITH TIME ZONE NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "processed_at" TIMESTAMP WITH TIME ZONE, "outcome" text NOT NULL, "attempts" integer NOT NULL DEFAULT '1', "last_error" text, CONSTRAINT "litestripe_event_pkey" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "litestripe_subscription" ("id" text NOT NULL, "customer_id" text, "account_ref" text, "status" text, "price_id" text, "product_id" text, "lookup_key" text, "quantity" integer, "current_period_start" TIMESTAMP WITH TIME ZONE, "current_period_end" TIMESTAMP WITH TIME ZONE, "trial_start" TIMESTAMP WITH TIME ZONE, "trial_end" TIMESTAMP WITH TIME ZONE, "cancel_at_period_end" boolean NOT NULL DEFAULT false, "cancel_at" TIMESTAMP WITH TIME ZONE, "canceled_at" TIMESTAMP WITH TIME ZONE, "ended_at" TIMESTAMP WITH TIME ZONE, "collection_paused" boolean NOT NULL DEFAULT false, "livemode" boolean NOT NULL DEFAULT false, "metadata" jsonb NOT NULL DEFAULT '{}', "latest_payment_status" text, "latest_invoice_id" text, "latest_payment_at" TIMESTAMP WITH TIME ZONE, "event_created" bigint, "status_rank" smallint, "payment_event_created" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "litestripe_subscription_pkey" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "litestripe_subscription_customer_idx" ON "litestripe_subscription"("customer_id") `);
    await queryRunner.query(`CREATE INDEX "litestripe_subscription_account_idx" ON "litestripe_subscription"("account_ref") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "litestripe_subscription"`);
    await queryRunner.query(`DROP TABLE "litestripe_event"`);
    await queryRunner.query(`DROP TABLE "litestripe_orphaned_payment"`);
  }
}
