import { LitestripeModuleOptions } from './litestripe-options.interface.js';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { configRefusal } from './spec-helpers.js';
import { validateOptions } from './validate-options.js';
import { systemClock } from '../common/clock.js';

const VALID: LitestripeModuleOptions = {
  secretKey: 'sk_test_51UnitSecretKey0000000000',
  webhookUuid: '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a',
  webhookSecret: 'whsec_unitsecretaaaaaaaaaaaaaaaaaaaaaaaaaa',
};

/** The error `validateOptions` throws for `options`; fails the test when it does not throw. */
function errorFor(options: unknown): LitestripeConfigError {
  return configRefusal(() => validateOptions(options as LitestripeModuleOptions));
}

function expectRefused(overrides: Record<string, unknown>, option: string, problem: RegExp, hidden: string[] = []): void {
  const error = errorFor({ ...VALID, ...overrides });
  expect(error.option).toBe(option);
  expect(error.message).toContain(`Litestripe option "${option}"`);
  expect(error.message).toMatch(problem);
  for (const value of [...hidden, VALID.secretKey, VALID.webhookSecret as string]) expect(error.message).not.toContain(value);
}

describe('validateOptions', () => {
  it('fills in every default and turns webhookSecret into webhookSecrets', () => {
    const resolved = validateOptions(VALID);
    expect(resolved).toEqual({
      secretKey: VALID.secretKey,
      webhookUuid: VALID.webhookUuid,
      webhookSecrets: [VALID.webhookSecret],
      webhookToleranceSeconds: 300,
      maxWebhookBodyBytes: 1024 * 1024,
      accountReferenceMetadataKey: 'client_reference_id',
      maxRequestsPerMinute: 75,
      rateLimitCacheKey: 'litestripe_stripe_api_rate_limit',
      billingActionLimit: { limit: 10, windowSeconds: 60 },
      stripe: {},
      domainEvents: 'durable',
      outbox: { pollIntervalMs: 5000, leaseMs: 30_000, maxAttempts: 10, retryBackoffMs: 1000, batchSize: 100, retentionDays: 7 },
      brokers: [],
      inProcessEvents: true,
      webhookProcessing: 'inline',
      inbox: { maxDepth: 10_000, batchSize: 100, maxAttempts: 8, retryBackoffMs: 1000, leaseMs: 30_000, sweepIntervalMs: 5000 },
      refetch: 'on-conflict',
      refetchTimeoutMs: 5000,
      clock: systemClock,
      livemode: false,
      connectedAccounts: 'ignore',
      allowUnlistedPrices: false,
      eventLogRetentionDays: 30,
      metrics: { enabled: false, meterProvider: null, prefix: 'litestripe' },
    });
    expect(resolved).not.toHaveProperty('webhookSecret');
  });

  it('validates the domain event delivery options', () => {
    expect(validateOptions({ ...VALID, domainEvents: 'in-process', outbox: { pollIntervalMs: 0, maxAttempts: 2 } })).toMatchObject({
      domainEvents: 'in-process',
      outbox: { pollIntervalMs: 0, maxAttempts: 2, leaseMs: 30_000 },
    });
    expect(() => validateOptions({ ...VALID, domainEvents: 'sometimes' as never })).toThrow(/"domainEvents" must be one of 'durable', 'in-process'/);
    expect(() => validateOptions({ ...VALID, outbox: { leaseMs: -5 } })).toThrow(/"outbox.leaseMs" must be a positive whole number/);
    expect(() => validateOptions({ ...VALID, outbox: { maxAttempts: 0 } })).toThrow(/"outbox.maxAttempts"/);
    expect(() => validateOptions({ ...VALID, outbox: { pollInterval: 5 } as never })).toThrow(/"outbox.pollInterval" is not an option. Known: pollIntervalMs, leaseMs/);
  });

  it('validates the webhook processing mode and the inbox tuning', () => {
    expect(validateOptions({ ...VALID, webhookProcessing: 'deferred', inbox: { maxDepth: 500, batchSize: 20 } })).toMatchObject({
      webhookProcessing: 'deferred',
      inbox: { maxDepth: 500, batchSize: 20, maxAttempts: 8, leaseMs: 30_000 },
    });
    expect(() => validateOptions({ ...VALID, webhookProcessing: 'later' as never })).toThrow(/"webhookProcessing" must be one of 'inline', 'deferred' \(got "later"\)/);
    expect(() => validateOptions({ ...VALID, inbox: { maxDepth: 0 } })).toThrow(/"inbox.maxDepth" must be a positive whole number \(got 0\)/);
    expect(() => validateOptions({ ...VALID, inbox: { sweepIntervalMs: 0 } })).toThrow(/"inbox.sweepIntervalMs" must be a positive whole number/);
    expect(() => validateOptions({ ...VALID, inbox: { depth: 5 } as never })).toThrow(/"inbox.depth" is not an option/);
    expect(() => validateOptions({ ...VALID, inbox: 'big' as never })).toThrow(/"inbox" must be an object/);
  });

  it('keeps given values and does not change the options object it was given', () => {
    const options: LitestripeModuleOptions = {
      ...VALID,
      publishableKey: 'pk_live_51Publishable',
      webhookSecret: ['whsec_old', 'whsec_new+/='],
      webhookToleranceSeconds: 600,
      maxWebhookBodyBytes: 2048,
      accountReferenceMetadataKey: 'account',
      metadataKeys: ['plan'],
      maxRequestsPerMinute: 20,
      rateLimitCacheKey: 'rl',
      stripe: { maxNetworkRetries: 1 },
    };
    const copy = structuredClone(options);
    expect(validateOptions(options)).toMatchObject({
      publishableKey: 'pk_live_51Publishable',
      webhookSecrets: ['whsec_old', 'whsec_new+/='],
      webhookToleranceSeconds: 600,
      maxWebhookBodyBytes: 2048,
      accountReferenceMetadataKey: 'account',
      metadataKeys: ['plan'],
      maxRequestsPerMinute: 20,
      rateLimitCacheKey: 'rl',
      stripe: { maxNetworkRetries: 1 },
    });
    expect(options).toEqual(copy);
  });

  it.each(['sk_test_abc123', 'sk_live_abc123', 'rk_test_abc123', 'rk_live_abc123'])('accepts the API key %s', (secretKey) => {
    expect(validateOptions({ ...VALID, secretKey }).secretKey).toBe(secretKey);
  });

  it('accepts a UUID in upper case', () => {
    expect(() => validateOptions({ ...VALID, webhookUuid: VALID.webhookUuid.toUpperCase() })).not.toThrow();
  });

  it.each([undefined, null, 'options'])('refuses options that are not an object (%p)', (options) => {
    expect(errorFor(options).option).toBe('options');
  });

  describe('clock', () => {
    it('keeps the clock given, the same object', () => {
      const clock = { now: () => new Date(Date.UTC(2031, 0, 31, 12)) };
      expect(validateOptions({ ...VALID, clock }).clock).toBe(clock);
    });
    it.each([
      ['an object without now()', {}, /must have a now\(\) method/],
      ['a now that is not a function', { now: new Date() }, /must have a now\(\) method/],
      ['a now() returning a number', { now: () => 1_800_000_000_000 }, /must return a valid Date \(got the number 1800000000000; wrap it in new Date/],
      ['a now() returning a string', { now: () => '2027-01-31' }, /must return a valid Date \(got string\)/],
      ['a now() returning an invalid Date', { now: () => new Date('not a date') }, /must return a valid Date \(got an invalid Date\)/],
      ['a now() that throws', { now: () => { throw new Error('clock not started'); } }, /threw from now\(\) \(clock not started\)/],
    ])('refuses %s', (_label, clock, problem) => expectRefused({ clock }, 'clock', problem));
  });

  describe('secretKey', () => {
    it.each([undefined, null, ''])('is missing when %p', (secretKey) => expectRefused({ secretKey }, 'secretKey', /is missing/));
    it.each([
      ['a publishable key', 'pk_test_51PublishableLooksSecret7Hq2Xz', '51PublishableLooksSecret7Hq2Xz'],
      ['a webhook secret', 'whsec_wrongslotsecretffffffffffffffffffff', 'wrongslotsecretffff'],
      ['a key with a trailing newline', 'sk_live_51TrailingNewlineKey9\n', '51TrailingNewlineKey9'],
      ['a quoted key', '"sk_live_51QuotedKey000000"', '51QuotedKey000000'],
      ['a key of another mode', 'sk_prod_51OtherModeKey00000', '51OtherModeKey00000'],
    ])('is malformed when %s, and the message does not echo it', (_, secretKey, fragment) =>
      expectRefused({ secretKey }, 'secretKey', /is malformed/, [fragment]),
    );
    it('is malformed when not a string', () => expectRefused({ secretKey: 42 }, 'secretKey', /is malformed/));
  });

  describe('publishableKey', () => {
    it('may be left out', () => expect(validateOptions(VALID)).not.toHaveProperty('publishableKey'));
    it('is malformed when a secret key is given, and the message does not echo it', () =>
      expectRefused({ publishableKey: 'sk_live_51SecretInThePublicSlot8Zt' }, 'publishableKey', /is malformed/, ['sk_live_51SecretInThePublicSlot8Zt', '51SecretInThePublicSlot8Zt']));
  });

  describe('webhookUuid', () => {
    it.each([undefined, ''])('is missing when %p', (webhookUuid) => expectRefused({ webhookUuid }, 'webhookUuid', /is missing/));
    it.each(['hook-7d1e4b8e9a430d5e', '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7', '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a ', 'zf0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a'])(
      'is malformed when %j, and the message does not echo it',
      (webhookUuid) => expectRefused({ webhookUuid }, 'webhookUuid', /is malformed/, [webhookUuid.trim()]),
    );
  });

  describe('webhookSecret', () => {
    it.each([[undefined], [''], [[]], [['']], [[undefined]], [[42]]])('is missing when %j', (webhookSecret) =>
      expectRefused({ webhookSecret }, 'webhookSecret', /is missing/),
    );
    it('drops empty entries of a list', () => {
      expect(validateOptions({ ...VALID, webhookSecret: ['', 'whsec_kept', ''] }).webhookSecrets).toEqual(['whsec_kept']);
    });
    it.each(['whsec-TypoedSecretValue42', 'whsec_has space', 'WHSEC_UPPERCASEPREFIX', 'sk_test_51NotAWebhookSecret'])('is malformed when %j', (webhookSecret) =>
      expectRefused({ webhookSecret }, 'webhookSecret', /is malformed/, [webhookSecret, webhookSecret.slice(6)]),
    );
    it('names the bad entry of a list, and echoes none of them', () =>
      expectRefused(
        { webhookSecret: ['whsec_goodrotationsecreteeeeeeeeeeeeeeeeee', 'whsec_bad secret with space'] },
        'webhookSecret[1]',
        /is malformed/,
        ['whsec_goodrotationsecreteeeeeeeeeeeeeeeeee', 'goodrotationsecret', 'bad secret with space'],
      ));
  });

  describe.each(['webhookToleranceSeconds', 'maxWebhookBodyBytes', 'maxRequestsPerMinute'])('%s', (option) => {
    it.each([1.5, 0, -1, '300', Number.NaN, Number.POSITIVE_INFINITY, null])('refuses %p', (value) =>
      expectRefused({ [option]: value }, option, /must be a positive whole number/),
    );
    it('accepts 1', () => expect(validateOptions({ ...VALID, [option]: 1 })).toMatchObject({ [option]: 1 }));
  });

  describe.each(['accountReferenceMetadataKey', 'rateLimitCacheKey'])('%s', (option) => {
    it.each(['', '   ', 7, null])('refuses %p', (value) => expectRefused({ [option]: value }, option, /must be a non-empty string/));
  });

  describe('eventLogRetentionDays', () => {
    it('defaults to 30 days', () => expect(validateOptions(VALID).eventLogRetentionDays).toBe(30));
    it('accepts 4 days, the shortest over Stripe’s three days of retries', () => expect(validateOptions({ ...VALID, eventLogRetentionDays: 4 }).eventLogRetentionDays).toBe(4));
    it('refuses 3 days, saying why', () => expectRefused({ eventLogRetentionDays: 3 }, 'eventLogRetentionDays', /Stripe retries a delivery for 3 days/));
    it.each([0, -1, 4.5, '30', Number.NaN, Number.POSITIVE_INFINITY, null])('refuses %p', (eventLogRetentionDays) =>
      expectRefused({ eventLogRetentionDays }, 'eventLogRetentionDays', /must be a whole number of days over 3/),
    );
  });

  describe('metrics', () => {
    it('resolves it with the rest (its own spec covers every value)', () => {
      expect(validateOptions({ ...VALID, metrics: { enabled: true, prefix: 'shop' } }).metrics).toEqual({ enabled: true, meterProvider: null, prefix: 'shop' });
    });
    it('refuses a malformed one', () => expectRefused({ metrics: { enabled: 'yes' } }, 'metrics.enabled', /must be true or false/));
  });

  describe('connectedAccounts', () => {
    it.each(['ignore', 'record'] as const)('accepts %p', (connectedAccounts) => expect(validateOptions({ ...VALID, connectedAccounts }).connectedAccounts).toBe(connectedAccounts));
    it.each(['apply', 'Ignore', '', true, null])('refuses %p', (connectedAccounts) =>
      expectRefused({ connectedAccounts }, 'connectedAccounts', /must be one of 'ignore', 'record'/),
    );
  });

  describe('billingActionLimit', () => {
    it('fills in what is left out, and keeps false', () => {
      expect(validateOptions({ ...VALID, billingActionLimit: { limit: 3 } }).billingActionLimit).toEqual({ limit: 3, windowSeconds: 60 });
      expect(validateOptions({ ...VALID, billingActionLimit: { windowSeconds: 10 } }).billingActionLimit).toEqual({ limit: 10, windowSeconds: 10 });
      expect(validateOptions({ ...VALID, billingActionLimit: false }).billingActionLimit).toBe(false);
    });
    it.each([true, 10, 'ten', null, []])('refuses %p', (billingActionLimit) =>
      expectRefused({ billingActionLimit }, 'billingActionLimit', /must be \{ limit, windowSeconds \} or false/),
    );
    it.each([
      [{ limit: 0 }, 'billingActionLimit.limit'],
      [{ limit: 2.5 }, 'billingActionLimit.limit'],
      [{ windowSeconds: -60 }, 'billingActionLimit.windowSeconds'],
      [{ windowSeconds: '60' }, 'billingActionLimit.windowSeconds'],
    ])('refuses %j', (billingActionLimit, option) => expectRefused({ billingActionLimit }, option, /must be a positive whole number/));
  });

  describe('allowUnlistedPrices', () => {
    it.each([true, false])('accepts %p', (allowUnlistedPrices) => expect(validateOptions({ ...VALID, allowUnlistedPrices }).allowUnlistedPrices).toBe(allowUnlistedPrices));
    it.each(['true', 1, 0, null])('refuses %p', (allowUnlistedPrices) => expectRefused({ allowUnlistedPrices }, 'allowUnlistedPrices', /must be true or false/));
  });

  it('keeps metadataKeys given as a list of non-empty strings', () => {
    expect(validateOptions({ ...VALID, metadataKeys: ['plan', 'seats'] }).metadataKeys).toEqual(['plan', 'seats']);
  });

  it.each(['plan', [''], [1], {}])('refuses metadataKeys %j', (metadataKeys) =>
    expectRefused({ metadataKeys }, 'metadataKeys', /must be a list of non-empty strings/),
  );

  it('refuses a validateClientReference that is not a function', () => {
    expectRefused({ validateClientReference: 'yes' }, 'validateClientReference', /must be a function/);
    const validate = () => true;
    expect(validateOptions({ ...VALID, validateClientReference: validate }).validateClientReference).toBe(validate);
  });
});
