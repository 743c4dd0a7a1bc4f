import { MigrationInterface, QueryRunner } from 'typeorm';

/** Adds the outbox of domain events (durable delivery). */
export class LitestripeOutbox1764200000000 implements MigrationInterface {
  name = 'LitestripeOutbox1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "litestripe_outbox" ("id" text NOT NULL, "name" text NOT NULL, "payload" json NOT NULL, "stripe_event_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "available_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "attempts" integer NOT NULL DEFAULT '0', "delivered_at" TIMESTAMP WITH TIME ZONE, "failed_at" TIMESTAMP WITH TIME ZONE, "last_error" text, CONSTRAINT "litestripe_outbox_pkey" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "litestripe_outbox_due_idx" ON "litestripe_outbox"("available_at") WHERE "delivered_at" IS NULL AND "failed_at" IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "litestripe_outbox"`);
  }
}
