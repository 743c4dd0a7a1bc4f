import { SyncUsageError } from '../errors/sync-usage.error.js';
import { parseSyncArgs } from './sync-cli.args.js';

describe('parseSyncArgs', () => {
  it.each([
    [['sync', 'backfill'], { mode: 'backfill', startingAfter: undefined, concurrency: undefined }],
    [['backfill', '--starting-after', 'sub_1Abc', '--concurrency=8'], { mode: 'backfill', startingAfter: 'sub_1Abc', concurrency: 8 }],
    [['sync', 'replay'], { mode: 'replay', days: 30 }],
    [['sync', 'replay', '--days', '7'], { mode: 'replay', days: 7 }],
    [['sync', 'subscription', 'sub_1MoG3CLkdIwHu7ixd86qvAfe'], { mode: 'subscription', id: 'sub_1MoG3CLkdIwHu7ixd86qvAfe' }],
    [['customer', 'cus_NZOq6LNU39H6ZI'], { mode: 'customer', id: 'cus_NZOq6LNU39H6ZI' }],
    [['sync', 'upgrade'], { mode: 'upgrade' }],
    [['sync', 'events', 'failed'], { mode: 'events-failed', limit: 100 }],
    [['events', 'failed', '--limit', '5'], { mode: 'events-failed', limit: 5 }],
    [['sync', 'events', 'retry'], { mode: 'events-retry', ids: null }],
    [['sync', 'events', 'retry', 'evt_1A', 'evt_2B', 'evt_1A'], { mode: 'events-retry', ids: ['evt_1A', 'evt_2B'] }],
    [['sync', 'guests', 'link', 'verified.csv'], { mode: 'guests-link', file: 'verified.csv' }],
    [['guests', 'link', '-'], { mode: 'guests-link', file: '-' }],
  ])('reads %j', (argv, command) => {
    expect(parseSyncArgs(argv)).toEqual({ command, every: 100, verbose: false, help: false });
  });

  it('reads --every, --verbose and --help', () => {
    expect(parseSyncArgs(['sync', 'backfill', '--every', '25', '--verbose'])).toMatchObject({ every: 25, verbose: true, help: false });
    expect(parseSyncArgs(['sync', '--help'])).toEqual({ command: null, every: 100, verbose: false, help: true });
    expect(parseSyncArgs(['-h', 'nonsense'])).toMatchObject({ command: null, help: true });
  });

  it.each([
    [[], 'Name a command: backfill, replay, upgrade, subscription <sub_...>, customer <cus_...>, events failed, events retry or guests link <file>.'],
    [['sync', 'refresh'], 'Unknown command refresh: use backfill, replay, upgrade, subscription <sub_...>, customer <cus_...>, events failed, events retry or guests link <file>.'],
    [['sync', 'events'], 'events needs failed or retry.'],
    [['sync', 'events', 'replay'], 'events needs failed or retry, got replay.'],
    [['sync', 'events', 'failed', 'evt_1'], 'events failed takes no ids (got evt_1).'],
    [['sync', 'events', 'retry', 'sub_1'], 'events retry takes Stripe event ids (evt_...), got sub_1.'],
    [['sync', 'events', 'retry', '--limit', '3'], '--limit applies to events failed only.'],
    [['sync', 'backfill', '--limit', '3'], '--limit applies to events failed only.'],
    [['sync', 'events', 'failed', '--limit', '0'], '--limit must be a whole number from 1 to 10000 (got 0).'],
    [['sync', 'upgrade', 'sub_1'], 'upgrade takes no id (got sub_1).'],
    [['sync', 'upgrade', '--concurrency', '2'], '--concurrency applies to backfill only.'],
    [['sync', 'subscription'], 'subscription needs a Stripe subscription id (sub_...).'],
    [['sync', 'customer', 'sub_123'], 'customer needs a Stripe customer id (cus_...), got sub_123.'],
    [['sync', 'subscription', 'sub_1', 'sub_2'], 'subscription takes one id (got sub_1 sub_2).'],
    [['sync', 'backfill', 'sub_1'], 'backfill takes no id (got sub_1).'],
    [['sync', 'replay', '--days', '31'], '--days must be a whole number from 1 to 30 (got 31).'],
    [['sync', 'replay', '--days', '1.5'], '--days must be a whole number from 1 to 30 (got 1.5).'],
    [['sync', 'replay', '--days'], '--days needs a value.'],
    [['sync', 'backfill', '--days', '3'], '--days applies to replay only.'],
    [['sync', 'replay', '--concurrency', '3'], '--concurrency applies to backfill only.'],
    [['sync', 'backfill', '--concurrency', '0'], '--concurrency must be a whole number from 1 to 32 (got 0).'],
    [['sync', 'backfill', '--starting-after', 'cus_1'], '--starting-after needs a subscription id (sub_...), got cus_1.'],
    [['sync', 'backfill', '--every', '0'], '--every must be a whole number from 1 up (got 0).'],
    [['sync', 'backfill', '--force'], 'Unknown option --force.'],
    [['sync', 'guests'], 'guests needs link.'],
    [['sync', 'guests', 'unlink', 'a.csv'], 'guests needs link, got unlink.'],
    [['sync', 'guests', 'link'], 'guests link takes one file of email,accountRef lines (- for standard input).'],
    [['sync', 'guests', 'link', 'a.csv', 'b.csv'], 'guests link takes one file of email,accountRef lines (- for standard input).'],
    [['sync', 'guests', 'link', 'a.csv', '--limit', '3'], '--limit applies to events failed only.'],
  ])('refuses %j, saying what to type instead', (argv, message) => {
    expect(() => parseSyncArgs(argv)).toThrow(new SyncUsageError(message));
  });
});
