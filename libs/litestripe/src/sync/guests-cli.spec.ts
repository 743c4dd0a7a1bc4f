import { parseVerifiedEmails } from './guests-cli.js';

describe('parseVerifiedEmails', () => {
  it('reads email,accountRef lines, skipping the header, blank lines and comments', () => {
    const text = 'email,accountRef\n# exported 2026-12-03\nada@example.com, user_1\r\n\nBob@Example.com,user-2\n';
    expect(parseVerifiedEmails(text)).toEqual({
      verified: [
        { email: 'ada@example.com', accountRef: 'user_1' },
        { email: 'Bob@Example.com', accountRef: 'user-2' },
      ],
      unreadable: [],
    });
  });

  it('reports the line numbers of lines that are no pair, and keeps the others', () => {
    const text = 'ada@example.com,user_1\nnot-an-email,user_2\ncy@example.com\ndee@example.com,user_4,extra\neve@example.com,user_5';
    expect(parseVerifiedEmails(text)).toEqual({
      verified: [
        { email: 'ada@example.com', accountRef: 'user_1' },
        { email: 'eve@example.com', accountRef: 'user_5' },
      ],
      unreadable: [2, 3, 4],
    });
  });
});
