import { newGuestToken, parseGuestToken, verifierMatches } from './guest-token.js';

describe('guest access tokens', () => {
  it('parses what it issues, and the verifier matches only its own hash', () => {
    const first = newGuestToken();
    const second = newGuestToken();
    const parsed = parseGuestToken(first.token);
    expect(parsed).toEqual({ selector: first.selector, verifier: expect.any(String) });
    expect(verifierMatches(parsed!.verifier, first.verifierHash)).toBe(true);
    expect(verifierMatches(parsed!.verifier, second.verifierHash)).toBe(false);
    expect(first.token).not.toEqual(second.token);
  });

  it('keeps no part of the verifier in what is stored', () => {
    const issued = newGuestToken();
    const verifier = parseGuestToken(issued.token)!.verifier;
    expect(issued.verifierHash.toString('base64url')).not.toContain(verifier);
    expect(issued.verifierHash).toHaveLength(32);
  });

  it.each([undefined, null, 42, '', 'lsg_', 'lsg_abc.def', `lsg_${'a'.repeat(22)}.${'b'.repeat(42)}`, `LSG_${'a'.repeat(22)}.${'b'.repeat(43)}`, `lsg_${'a'.repeat(22)}.${'b'.repeat(43)} `, `lsg_${'a'.repeat(22)}.${'b'.repeat(43)}${'c'.repeat(200)}`])(
    'refuses %p as a token',
    (candidate) => expect(parseGuestToken(candidate)).toBeNull(),
  );

  it('a stored hash of another length never matches (and does not throw)', () => {
    const parsed = parseGuestToken(newGuestToken().token)!;
    expect(verifierMatches(parsed.verifier, Buffer.alloc(16))).toBe(false);
  });
});
