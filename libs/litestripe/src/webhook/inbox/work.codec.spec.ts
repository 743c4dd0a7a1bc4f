import { decodeWork, encodeWork } from './work.codec.js';

describe('inbox work codec', () => {
  it('gives back what was read, dates as dates and nulls as nulls', () => {
    const facts = { snapshot: { id: 'sub_1', currentPeriodEnd: new Date(Date.UTC(2026, 11, 2, 0, 0, 1, 250)), trialEnd: null, metadata: { a: 'b' } }, created: 1764633600, list: [new Date(0)] };
    const back = decodeWork(encodeWork(facts)) as typeof facts;
    expect(back).toEqual(facts);
    expect(back.snapshot.currentPeriodEnd).toBeInstanceOf(Date);
    expect(back.list[0]).toBeInstanceOf(Date);
  });

  it('leaves an object that only resembles a date alone', () => {
    expect(decodeWork(encodeWork({ metadata: { $date: 'x', other: 'y' } }))).toEqual({ metadata: { $date: 'x', other: 'y' } });
    expect(decodeWork(encodeWork({ metadata: { $date: '1764633600' } }))).toEqual({ metadata: { $date: '1764633600' } });
  });
});
