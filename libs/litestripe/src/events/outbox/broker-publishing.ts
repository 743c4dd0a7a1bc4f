import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { LitestripeMetrics } from '../../metrics/litestripe-metrics.js';
import { BrokerLane } from './broker-lane.js';
import { PublicationRepository } from './publication.repository.js';

/** The outbox's brokers (option `brokers`): one lane each, started with the app and closed with it. */
@Injectable()
export class BrokerPublishing implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly lanes: BrokerLane[];

  constructor(
    @Inject(LITESTRIPE_OPTIONS) options: ResolvedLitestripeOptions,
    private readonly publications: PublicationRepository,
    private readonly metrics: LitestripeMetrics,
  ) {
    this.lanes = options.domainEvents === 'durable' ? options.brokers.map((broker) => new BrokerLane(broker, publications, options.outbox, metrics)) : [];
  }

  /** The brokers' names, in the order of option `brokers`. */
  get destinations(): string[] {
    return this.lanes.map((lane) => lane.name);
  }

  onApplicationBootstrap(): void {
    if (this.lanes.length === 0) return;
    this.metrics.observeBrokerBacklog(this.destinations, (destination) => this.publications.status(destination));
    for (const lane of this.lanes) lane.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.stop()));
  }

  /** Starts a pass on every broker (after a commit recorded events); does not wait for it. */
  wake(): void {
    void this.publishDue();
  }

  /** Publishes what is due now on every broker (or one), instead of at the next poll. */
  async publishDue(destination?: string): Promise<void> {
    await Promise.all(this.lanes.filter((lane) => destination === undefined || lane.name === destination).map((lane) => lane.wake()));
  }
}
