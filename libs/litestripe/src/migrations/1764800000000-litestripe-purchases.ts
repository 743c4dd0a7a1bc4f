import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One-time purchases (lifetime plans, credit packs), credit balances, and the features of Stripe's
 * Entitlements per customer. Changes of a purchase are announced like a subscription's (on
 * `account_ref`); a customer's features to every account subscribed with that customer. Each table
 * has its own trigger function, so that this migration and the subscription trigger's can be
 * reverted apart.
 */
export class LitestripePurchases1764800000000 implements MigrationInterface {
  name = 'LitestripePurchases1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "litestripe_purchase" ("payment_ref" text NOT NULL, "checkout_session_id" text, "customer_id" text, "account_ref" text, "livemode" boolean NOT NULL DEFAULT false, "payment_status" text, "lifetime_plans" text array NOT NULL DEFAULT '{}', "credits" jsonb NOT NULL DEFAULT '{}', "price_ids" text array NOT NULL DEFAULT '{}', "amount" bigint, "currency" text, "amount_refunded" bigint NOT NULL DEFAULT 0, "dispute_lost" boolean NOT NULL DEFAULT false, "credits_revoked" jsonb NOT NULL DEFAULT '{}', "lifetime_revoked" boolean NOT NULL DEFAULT false, "stripe_created" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "litestripe_purchase_pkey" PRIMARY KEY ("payment_ref"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "litestripe_purchase_session_key" ON "litestripe_purchase" ("checkout_session_id")`);
    await queryRunner.query(`CREATE INDEX "litestripe_purchase_account_idx" ON "litestripe_purchase" ("account_ref", "livemode")`);
    await queryRunner.query(
      `CREATE TABLE "litestripe_credit_balance" ("subject" text NOT NULL, "metric" text NOT NULL, "balance" bigint NOT NULL DEFAULT 0, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "litestripe_credit_balance_pkey" PRIMARY KEY ("subject", "metric"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "litestripe_customer_feature" ("customer_id" text NOT NULL, "livemode" boolean NOT NULL DEFAULT false, "lookup_keys" text array NOT NULL DEFAULT '{}', "event_created" bigint NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "litestripe_customer_feature_pkey" PRIMARY KEY ("customer_id"))`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "litestripe_purchase_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('litestripe_subscription_changed', '');
          RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' AND OLD."account_ref" IS NOT NULL THEN
          PERFORM pg_notify('litestripe_subscription_changed', OLD."account_ref");
        END IF;
        IF TG_OP <> 'DELETE' AND NEW."account_ref" IS NOT NULL AND (TG_OP = 'INSERT' OR NEW."account_ref" IS DISTINCT FROM OLD."account_ref") THEN
          PERFORM pg_notify('litestripe_subscription_changed', NEW."account_ref");
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "litestripe_purchase_changed" AFTER INSERT OR UPDATE OR DELETE ON "litestripe_purchase" FOR EACH ROW EXECUTE FUNCTION "litestripe_purchase_changed"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "litestripe_purchase_truncated" AFTER TRUNCATE ON "litestripe_purchase" FOR EACH STATEMENT EXECUTE FUNCTION "litestripe_purchase_changed"()`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "litestripe_customer_features_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        customer text;
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('litestripe_subscription_changed', '');
          RETURN NULL;
        END IF;
        customer := CASE WHEN TG_OP = 'DELETE' THEN OLD."customer_id" ELSE NEW."customer_id" END;
        PERFORM pg_notify('litestripe_subscription_changed', s."account_ref")
          FROM (SELECT DISTINCT "account_ref" FROM "litestripe_subscription" WHERE "customer_id" = customer AND "account_ref" IS NOT NULL) s;
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "litestripe_customer_feature_changed" AFTER INSERT OR UPDATE OR DELETE ON "litestripe_customer_feature" FOR EACH ROW EXECUTE FUNCTION "litestripe_customer_features_changed"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "litestripe_customer_feature_truncated" AFTER TRUNCATE ON "litestripe_customer_feature" FOR EACH STATEMENT EXECUTE FUNCTION "litestripe_customer_features_changed"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "litestripe_customer_feature"`);
    await queryRunner.query(`DROP FUNCTION "litestripe_customer_features_changed"()`);
    await queryRunner.query(`DROP TABLE "litestripe_credit_balance"`);
    await queryRunner.query(`DROP TABLE "litestripe_purchase"`);
    await queryRunner.query(`DROP FUNCTION "litestripe_purchase_changed"()`);
  }
}
