import type { PGliteOptions } from '@electric-sql/pglite';
import { PGliteDriver } from 'typeorm-pglite';

/**
 * typeorm-pglite hands every TypeORM query runner the one PGlite session, so two webhook
 * transactions running at once would share a BEGIN...COMMIT and a rollback in one would undo the
 * other's committed work. This pool lends the session to one query runner at a time, as a `pg`
 * pool of size 1 does; the others wait their turn.
 */
export function serializedPGliteDriver(options: PGliteOptions = {}): Pick<PGliteDriver['driver'], 'Pool'> {
  const { Pool } = new PGliteDriver(options).driver;
  type ConnectCallback = Parameters<InstanceType<typeof Pool>['connect']>[0];

  class SerializedPGlitePool extends Pool {
    private turns: Promise<void> = Promise.resolve();

    override async connect(callback: ConnectCallback): Promise<void> {
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const previous = this.turns;
      this.turns = previous.then(() => mine);
      await previous;
      await super.connect((error, client) => {
        if (error) release();
        callback(error, client, () => release());
      });
    }
  }

  return { Pool: SerializedPGlitePool };
}
