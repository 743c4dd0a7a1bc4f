import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Announces every committed change of a subscription row to the instances' entitlement caches:
 * `NOTIFY litestripe_subscription_changed` with the account reference (the old and the new one
 * when a link moves; an empty payload after TRUNCATE, meaning "every account"). PostgreSQL
 * delivers it at commit, to every listening session, and never for a rolled-back change. Whoever
 * writes (the module, a sync command, support's SQL) is announced alike.
 */
export class LitestripeSubscriptionChanges1764500000000 implements MigrationInterface {
  name = 'LitestripeSubscriptionChanges1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION "litestripe_subscription_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
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
      `CREATE TRIGGER "litestripe_subscription_changed" AFTER INSERT OR UPDATE OR DELETE ON "litestripe_subscription" FOR EACH ROW EXECUTE FUNCTION "litestripe_subscription_changed"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "litestripe_subscription_truncated" AFTER TRUNCATE ON "litestripe_subscription" FOR EACH STATEMENT EXECUTE FUNCTION "litestripe_subscription_changed"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "litestripe_subscription_truncated" ON "litestripe_subscription"`);
    await queryRunner.query(`DROP TRIGGER "litestripe_subscription_changed" ON "litestripe_subscription"`);
    await queryRunner.query(`DROP FUNCTION "litestripe_subscription_changed"()`);
  }
}
