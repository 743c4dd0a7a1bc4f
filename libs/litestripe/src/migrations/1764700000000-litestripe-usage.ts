import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage limits and metered billing: per-period counters, the idempotency keys of recorded use, and
 * metered use waiting to be reported to Stripe (a partial index holds only what is due).
 */
export class LitestripeUsage1764700000000 implements MigrationInterface {
  name = 'LitestripeUsage1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "litestripe_usage" ("subject" text NOT NULL, "metric" text NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "period_end" TIMESTAMP WITH TIME ZONE NOT NULL, "used" bigint NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "litestripe_usage_pkey" PRIMARY KEY ("subject", "metric", "period_start"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "litestripe_usage_record" ("subject" text NOT NULL, "metric" text NOT NULL, "idempotency_key" text NOT NULL, "quantity" bigint NOT NULL, "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "litestripe_usage_record_pkey" PRIMARY KEY ("subject", "metric", "idempotency_key"))`,
    );
    await queryRunner.query(`CREATE INDEX "litestripe_usage_record_recorded_idx" ON "litestripe_usage_record" ("recorded_at")`);
    await queryRunner.query(
      `CREATE TABLE "litestripe_meter_event" ("identifier" text NOT NULL, "event_name" text NOT NULL, "customer_id" text NOT NULL, "value" bigint NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "available_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "attempts" integer NOT NULL DEFAULT 0, "reported_at" TIMESTAMP WITH TIME ZONE, "failed_at" TIMESTAMP WITH TIME ZONE, "last_error" text, CONSTRAINT "litestripe_meter_event_pkey" PRIMARY KEY ("identifier"))`,
    );
    await queryRunner.query(`CREATE INDEX "litestripe_meter_event_due_idx" ON "litestripe_meter_event" ("available_at") WHERE "reported_at" IS NULL AND "failed_at" IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "litestripe_meter_event"`);
    await queryRunner.query(`DROP TABLE "litestripe_usage_record"`);
    await queryRunner.query(`DROP TABLE "litestripe_usage"`);
  }
}
