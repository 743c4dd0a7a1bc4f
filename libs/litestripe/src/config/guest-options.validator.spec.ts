import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { defaultGuestClientKey } from './guest-options.js';
import { resolveGuestOptions } from './guest-options.validator.js';

describe('the guests option', () => {
  it('defaults: no token source (the guard admits accounts only), tokens valid until revoked, 10 bad tokens a minute per IP', () => {
    expect(resolveGuestOptions(undefined)).toEqual({ tokenFrom: null, tokenTtlDays: null, tokenAttempts: { limit: 10, windowSeconds: 60 }, clientKey: defaultGuestClientKey });
  });

  it('reads a header (case-insensitively, as Node lowercases them) or a cookie, a TTL, limits and a client key', () => {
    const clientKey = () => 'k';
    expect(resolveGuestOptions({ tokenFrom: { header: 'X-Guest-Token' }, tokenTtlDays: 365, tokenAttempts: { limit: 5 }, clientKey })).toEqual({
      tokenFrom: { header: 'x-guest-token' },
      tokenTtlDays: 365,
      tokenAttempts: { limit: 5, windowSeconds: 60 },
      clientKey,
    });
    expect(resolveGuestOptions({ tokenFrom: { cookie: 'guest_token' }, tokenAttempts: false })).toMatchObject({ tokenFrom: { cookie: 'guest_token' }, tokenAttempts: false });
  });

  it.each([
    ['guests', 'yes', 'must be an object'],
    ['guests.tokenfrom', { tokenfrom: { header: 'x' } }, 'is not an option'],
    ['guests.tokenFrom', { tokenFrom: { header: 'a', cookie: 'b' } }, 'must name one header or one cookie'],
    ['guests.tokenFrom', { tokenFrom: 'x-guest-token' }, 'must be { header } or { cookie }'],
    ['guests.tokenFrom.header', { tokenFrom: { header: 'bad header' } }, 'is not a header name'],
    ['guests.tokenFrom.cookie', { tokenFrom: { cookie: '' } }, 'is not a cookie name'],
    ['guests.tokenTtlDays', { tokenTtlDays: 0 }, 'must be a number of days > 0, or null'],
    ['guests.tokenAttempts', { tokenAttempts: true }, 'must be false or { limit?, windowSeconds? }'],
    ['guests.tokenAttempts.limit', { tokenAttempts: { limit: 1.5 } }, 'must be a positive whole number'],
    ['guests.clientKey', { clientKey: 'ip' }, 'must be a function'],
  ])('refuses %s: %j', (option, given, problem) => {
    const attempt = () => resolveGuestOptions(given as never);
    expect(attempt).toThrow(LitestripeConfigError);
    expect(attempt).toThrow(new RegExp(`${option.replace(/\./g, '\\.')}.*${problem.replace(/[{}?]/g, '\\$&')}`));
  });

  it('counts a request by its IP as Nest resolved it, else by its socket', () => {
    expect(defaultGuestClientKey({ ip: '203.0.113.9', socket: { remoteAddress: '10.0.0.1' } })).toBe('203.0.113.9');
    expect(defaultGuestClientKey({ socket: { remoteAddress: '10.0.0.1' } })).toBe('10.0.0.1');
    expect(defaultGuestClientKey({})).toBeNull();
  });
});
