import { actorLabel, withoutEmails } from './admin-log-line.js';

describe('admin log lines', () => {
  it('log an actor by its id, and an email-like actor by a hash of it', () => {
    expect(actorLabel('staff_7')).toBe('actor staff_7');
    expect(actorLabel('Ops@Example.com')).toMatch(/^actor sha256:[0-9a-f]{16}$/);
    expect(actorLabel('Ops@Example.com')).toBe(actorLabel('ops@example.com'));
  });

  it('mask every email-like word, quoted or not, and leave the rest', () => {
    expect(withoutEmails('claim for account bob@example.com refused: Account reference "bob@example.com" cannot be stored')).toBe(
      'claim for account [email] refused: Account reference "[email]" cannot be stored',
    );
    expect(withoutEmails('replay of event evt_1: {"replayed":true}')).toBe('replay of event evt_1: {"replayed":true}');
  });
});
