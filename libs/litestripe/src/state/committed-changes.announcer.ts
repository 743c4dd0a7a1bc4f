import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { SubscriptionRowChanges } from '../common/subscription-row-changes.js';

const CHANGED_ACCOUNTS = 'litestripeChangedAccounts';

/**
 * Announces in this process the accounts whose subscription rows a transaction changed, once it has
 * committed (a TypeORM subscriber: `afterTransactionCommit`), and never for a rollback. The writer
 * notes the accounts; the database trigger tells the other instances.
 */
@Injectable()
export class CommittedChangesAnnouncer implements EntitySubscriberInterface, OnModuleDestroy {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changes: SubscriptionRowChanges,
  ) {
    dataSource.subscribers.push(this);
  }

  /** Notes accounts changed in `manager`'s transaction; outside a transaction, announces them at once. */
  changed(manager: EntityManager, accountRefs: (string | null | undefined)[]): void {
    const refs = accountRefs.filter((ref): ref is string => typeof ref === 'string' && ref !== '');
    if (refs.length === 0) return;
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) return this.changes.announce({ accountRefs: refs });
    const noted = (runner.data[CHANGED_ACCOUNTS] ??= new Set<string>()) as Set<string>;
    for (const ref of refs) noted.add(ref);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const noted = event.queryRunner.data[CHANGED_ACCOUNTS] as Set<string> | undefined;
    // A savepoint's release is not the commit: wait for the outermost transaction.
    if (!noted || event.queryRunner.isTransactionActive) return;
    delete event.queryRunner.data[CHANGED_ACCOUNTS];
    this.changes.announce({ accountRefs: [...noted] });
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) delete event.queryRunner.data[CHANGED_ACCOUNTS];
  }

  onModuleDestroy(): void {
    const index = this.dataSource.subscribers.indexOf(this);
    if (index >= 0) this.dataSource.subscribers.splice(index, 1);
  }
}
