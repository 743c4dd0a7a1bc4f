import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The consumer's own tables. The two mailer queues have no unique key on purpose: the processed
 * mark, committed in the same transaction, is what makes each event's email happen once.
 */
export class CreateConsumerTables1767225600000 implements MigrationInterface {
  name = 'CreateConsumerTables1767225600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE consumer_processed_message (
      id text PRIMARY KEY,
      name text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now()
    )`);
    await runner.query(`CREATE TABLE consumer_subscription_status (
      subscription_id text PRIMARY KEY,
      status text NOT NULL,
      account_ref text,
      stripe_created bigint NOT NULL,
      sequence bigint NOT NULL,
      message_id text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await runner.query(`CREATE TABLE consumer_welcome_email (
      id bigserial PRIMARY KEY,
      subscription_id text NOT NULL,
      account_ref text,
      message_id text NOT NULL,
      queued_at timestamptz NOT NULL DEFAULT now()
    )`);
    await runner.query('CREATE INDEX consumer_welcome_email_subscription_idx ON consumer_welcome_email (subscription_id)');
    await runner.query(`CREATE TABLE consumer_payment_failed_email (
      id bigserial PRIMARY KEY,
      subscription_id text NOT NULL,
      invoice_id text,
      account_ref text,
      message_id text NOT NULL,
      queued_at timestamptz NOT NULL DEFAULT now()
    )`);
    await runner.query('CREATE INDEX consumer_payment_failed_email_subscription_idx ON consumer_payment_failed_email (subscription_id)');
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['consumer_payment_failed_email', 'consumer_welcome_email', 'consumer_subscription_status', 'consumer_processed_message']) {
      await runner.query(`DROP TABLE ${table}`);
    }
  }
}
