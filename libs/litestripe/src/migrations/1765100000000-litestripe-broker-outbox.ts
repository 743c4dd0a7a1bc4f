import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Publishing the outbox to message brokers: each broker destination gets its own delivered mark per
 * entry, published in the order recorded (the publication's sequence), and entries a sequence that
 * consumers see, the same at every broker.
 */
export class LitestripeBrokerOutbox1765100000000 implements MigrationInterface {
  name = 'LitestripeBrokerOutbox1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "litestripe_outbox" ADD "sequence" bigint GENERATED ALWAYS AS IDENTITY NOT NULL`);
    await queryRunner.query(
      `CREATE TABLE "litestripe_outbox_publication" ("outbox_id" text NOT NULL, "destination" text NOT NULL, "sequence" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "available_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "leased_until" TIMESTAMP WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT '0', "delivered_at" TIMESTAMP WITH TIME ZONE, "failed_at" TIMESTAMP WITH TIME ZONE, "last_error" text, CONSTRAINT "litestripe_outbox_publication_pkey" PRIMARY KEY ("outbox_id", "destination"))`,
    );
    await queryRunner.query(`CREATE INDEX "litestripe_outbox_publication_due_idx" ON "litestripe_outbox_publication"("destination", "sequence") WHERE "delivered_at" IS NULL AND "failed_at" IS NULL`);
    await queryRunner.query(`CREATE INDEX "litestripe_outbox_publication_leased_idx" ON "litestripe_outbox_publication"("destination", "leased_until") WHERE "leased_until" IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "litestripe_outbox_publication_failed_idx" ON "litestripe_outbox_publication"("destination", "failed_at") WHERE "failed_at" IS NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "litestripe_outbox_publication" ADD CONSTRAINT "litestripe_outbox_publication_entry_fkey" FOREIGN KEY ("outbox_id") REFERENCES "litestripe_outbox"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "litestripe_outbox_publication"`);
    await queryRunner.query(`ALTER TABLE "litestripe_outbox" DROP COLUMN "sequence"`);
  }
}
