import { dateOf, numberOf, timestampOf } from './stripe-payload.js';
import { PayloadRangeError } from '../errors/payload-range.error.js';

/** The number readers: anything but a number reads as null; a number no Stripe object has throws. */

const YEAR_9999_END = 253402300799;

describe('numberOf', () => {
  it.each([0, -5, 1900, 12.5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER])('reads %p', (value) => {
    expect(numberOf(value, 'amount_total')).toBe(value);
  });

  it.each([undefined, null, '1900', true, {}, []])('reads %p as null', (value) => {
    expect(numberOf(value, 'amount_total')).toBeNull();
  });

  it.each([Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER - 2, 1e300, -1e300, Infinity, -Infinity, NaN, JSON.parse('1e400')])('refuses %p, naming the field', (value) => {
    expect(() => numberOf(value, 'amount_total')).toThrow(PayloadRangeError);
    expect(() => numberOf(value, 'amount_total')).toThrow(/^amount_total is out of range/);
  });
});

describe('timestampOf and dateOf', () => {
  it.each([0, 1_764_000_000, YEAR_9999_END])('read %p seconds', (seconds) => {
    expect(timestampOf(seconds, 'created')).toBe(seconds);
    expect(dateOf(seconds, 'created')).toEqual(new Date(seconds * 1000));
  });

  it.each([undefined, null, '1764000000'])('read %p as null', (value) => {
    expect(timestampOf(value, 'created')).toBeNull();
    expect(dateOf(value, 'created')).toBeNull();
  });

  it.each([-1, YEAR_9999_END + 1, 1e15, 1e20, 1e300, Infinity, JSON.parse('-1e400')])('refuse %p, naming the field', (seconds) => {
    expect(() => timestampOf(seconds, 'created')).toThrow(PayloadRangeError);
    expect(() => dateOf(seconds, 'current_period_end')).toThrow(/^current_period_end is out of range/);
  });
});
