import { answerTime } from './subscription-object.applier.js';

describe('answerTime', () => {
  const clock = { now: () => new Date('2031-03-30T01:30:00.900Z') };

  it('dates an answer by Stripe’s Date header, whatever the module clock says', () => {
    expect(answerTime({ date: 'Tue, 01 Jan 2030 00:00:07 GMT' }, clock)).toBe(Date.UTC(2030, 0, 1, 0, 0, 7) / 1000);
    expect(answerTime({ Date: 'Tue, 01 Jan 2030 00:00:07 GMT' }, clock)).toBe(Date.UTC(2030, 0, 1, 0, 0, 7) / 1000);
  });

  it.each<Record<string, string> | undefined>([undefined, {}, { date: 'yesterday' }])('falls back to the module clock, in whole seconds, without a readable Date header (%p)', (headers) => {
    expect(answerTime(headers, clock)).toBe(Date.UTC(2031, 2, 30, 1, 30, 0) / 1000);
  });
});
