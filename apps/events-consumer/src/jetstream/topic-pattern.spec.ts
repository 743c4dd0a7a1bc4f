import { matchesTopicPattern } from './topic-pattern';

describe('matchesTopicPattern (AMQP topic wildcards)', () => {
  it.each([
    ['litestripe.#', 'litestripe.subscription.activated', true],
    ['litestripe.#', 'litestripe', true],
    ['litestripe.#', 'other.subscription.activated', false],
    ['litestripe.*.activated', 'litestripe.subscription.activated', true],
    ['litestripe.*.activated', 'litestripe.subscription.deactivated', false],
    ['litestripe.*', 'litestripe.subscription.activated', false],
    ['#.failed', 'litestripe.payment.failed', true],
    ['litestripe.#.failed', 'litestripe.failed', true],
    ['litestripe.#.failed', 'litestripe.payment.succeeded', false],
    ['litestripe.payment.failed', 'litestripe.payment.failed', true],
    ['litestripe.payment', 'litestripe.payment.failed', false],
  ])('%s against %s: %s', (pattern, name, expected) => {
    expect(matchesTopicPattern(pattern, name)).toBe(expected);
  });
});
