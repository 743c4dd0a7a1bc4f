import { calendarPeriod, usagePeriod } from './usage-period.js';

const at = (iso: string) => new Date(iso);
const iso = ({ start, end }: { start: Date; end: Date }) => ({ start: start.toISOString(), end: end.toISOString() });

describe('calendarPeriod (UTC)', () => {
  it.each<[string, 'month' | 'day', string, string, string]>([
    ['the middle of a month', 'month', '2031-06-15T12:34:56.789Z', '2031-06-01T00:00:00.000Z', '2031-07-01T00:00:00.000Z'],
    ['the last millisecond of the year (month)', 'month', '2031-12-31T23:59:59.999Z', '2031-12-01T00:00:00.000Z', '2032-01-01T00:00:00.000Z'],
    ['the first instant of the year (month)', 'month', '2032-01-01T00:00:00.000Z', '2032-01-01T00:00:00.000Z', '2032-02-01T00:00:00.000Z'],
    ['the last millisecond of the year (day)', 'day', '2031-12-31T23:59:59.999Z', '2031-12-31T00:00:00.000Z', '2032-01-01T00:00:00.000Z'],
    ['the first instant of the year (day)', 'day', '2032-01-01T00:00:00.000Z', '2032-01-01T00:00:00.000Z', '2032-01-02T00:00:00.000Z'],
    ['29 February of a leap year (day)', 'day', '2032-02-29T18:00:00.000Z', '2032-02-29T00:00:00.000Z', '2032-03-01T00:00:00.000Z'],
    ['February of a leap year (month): 29 days', 'month', '2032-02-29T23:59:59.000Z', '2032-02-01T00:00:00.000Z', '2032-03-01T00:00:00.000Z'],
    ['28 February of a common year (day)', 'day', '2031-02-28T23:00:00.000Z', '2031-02-28T00:00:00.000Z', '2031-03-01T00:00:00.000Z'],
    ['February of a common year (month): 28 days', 'month', '2031-02-10T00:00:00.000Z', '2031-02-01T00:00:00.000Z', '2031-03-01T00:00:00.000Z'],
    ['the end of a 30-day month (day)', 'day', '2031-04-30T23:59:59.000Z', '2031-04-30T00:00:00.000Z', '2031-05-01T00:00:00.000Z'],
  ])('%s', (_label, kind, now, start, end) => {
    expect(iso(calendarPeriod(kind, at(now)))).toEqual({ start, end });
  });

  it('includes its start and excludes its end: the end instant belongs to the next period', () => {
    const day = calendarPeriod('day', at('2031-12-31T10:00:00Z'));
    expect(calendarPeriod('day', day.start)).toEqual(day);
    expect(calendarPeriod('day', new Date(day.end.getTime() - 1))).toEqual(day);
    expect(iso(calendarPeriod('day', day.end))).toEqual({ start: '2032-01-01T00:00:00.000Z', end: '2032-01-02T00:00:00.000Z' });
    const month = calendarPeriod('month', at('2032-02-29T23:59:59.999Z'));
    expect(iso(calendarPeriod('month', month.end))).toEqual({ start: '2032-03-01T00:00:00.000Z', end: '2032-04-01T00:00:00.000Z' });
  });

  it('counts by UTC, not by the local date of an instant with an offset', () => {
    // 01:30 on 1 January in UTC+02:00 is still 31 December in UTC.
    expect(iso(calendarPeriod('day', at('2032-01-01T01:30:00+02:00')))).toEqual({ start: '2031-12-31T00:00:00.000Z', end: '2032-01-01T00:00:00.000Z' });
    expect(iso(calendarPeriod('month', at('2032-01-01T01:30:00+02:00')))).toEqual({ start: '2031-12-01T00:00:00.000Z', end: '2032-01-01T00:00:00.000Z' });
  });
});

describe('usagePeriod', () => {
  const now = at('2031-12-31T23:59:59Z');
  const row = { currentPeriodStart: at('2031-12-20T08:00:00Z'), currentPeriodEnd: at('2032-01-20T08:00:00Z') };

  it('is the billing period of the granting row for billing', () => {
    const period = usagePeriod('billing', now, row);
    expect(period).toEqual({ start: row.currentPeriodStart, end: row.currentPeriodEnd });
    // Not the calendar: the period runs across the new year.
    expect(iso(period)).toEqual({ start: '2031-12-20T08:00:00.000Z', end: '2032-01-20T08:00:00.000Z' });
  });

  it('falls back to the calendar month without a row, or for a row without a usable period', () => {
    const month = { start: '2031-12-01T00:00:00.000Z', end: '2032-01-01T00:00:00.000Z' };
    expect(iso(usagePeriod('billing', now, null))).toEqual(month);
    expect(iso(usagePeriod('billing', now, { currentPeriodStart: null, currentPeriodEnd: null }))).toEqual(month);
    expect(iso(usagePeriod('billing', now, { currentPeriodStart: row.currentPeriodStart, currentPeriodEnd: null }))).toEqual(month);
    expect(iso(usagePeriod('billing', now, { currentPeriodStart: null, currentPeriodEnd: row.currentPeriodEnd }))).toEqual(month);
    // An empty or inverted period is no period.
    expect(iso(usagePeriod('billing', now, { currentPeriodStart: row.currentPeriodEnd, currentPeriodEnd: row.currentPeriodEnd }))).toEqual(month);
    expect(iso(usagePeriod('billing', now, { currentPeriodStart: row.currentPeriodEnd, currentPeriodEnd: row.currentPeriodStart }))).toEqual(month);
  });

  it('past the row’s end (the renewal’s webhook not there yet) starts the next period at that end, as long as this one', () => {
    const length = row.currentPeriodEnd.getTime() - row.currentPeriodStart.getTime();
    const next = { start: row.currentPeriodEnd, end: new Date(row.currentPeriodEnd.getTime() + length) };
    // One millisecond before the end: still this period.
    expect(usagePeriod('billing', new Date(row.currentPeriodEnd.getTime() - 1), row)).toEqual({ start: row.currentPeriodStart, end: row.currentPeriodEnd });
    // At the end exactly, and within the next period: the next one, whose start the renewed row will name.
    expect(usagePeriod('billing', row.currentPeriodEnd, row)).toEqual(next);
    expect(usagePeriod('billing', new Date(next.end.getTime() - 1), row)).toEqual(next);
    // Several periods late: the period holding now.
    const late = usagePeriod('billing', new Date(row.currentPeriodStart.getTime() + 3.5 * length), row);
    expect(late).toEqual({ start: new Date(row.currentPeriodStart.getTime() + 3 * length), end: new Date(row.currentPeriodStart.getTime() + 4 * length) });
  });

  it('keeps a row’s period that has not begun yet', () => {
    expect(usagePeriod('billing', new Date(row.currentPeriodStart.getTime() - 1000), row)).toEqual({ start: row.currentPeriodStart, end: row.currentPeriodEnd });
  });

  it('ignores the row for calendar periods', () => {
    expect(iso(usagePeriod('month', now, row))).toEqual({ start: '2031-12-01T00:00:00.000Z', end: '2032-01-01T00:00:00.000Z' });
    expect(iso(usagePeriod('day', now, row))).toEqual({ start: '2031-12-31T00:00:00.000Z', end: '2032-01-01T00:00:00.000Z' });
    expect(iso(usagePeriod('day', at('2032-01-01T00:00:00Z'), row))).toEqual({ start: '2032-01-01T00:00:00.000Z', end: '2032-01-02T00:00:00.000Z' });
  });
});
