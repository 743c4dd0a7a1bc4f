import { Provider } from '@nestjs/common';
import { OrphanEmailRetention } from './orphan-email.retention.js';
import { RetentionJob } from './retention.job.js';

/** Retention of the event log, the outbox and orphan emails: one job at start-up and hourly. */
export const retentionProviders: Provider[] = [OrphanEmailRetention, RetentionJob];
