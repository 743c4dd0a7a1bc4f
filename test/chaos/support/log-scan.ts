// `import type`: scripts/check-demo-build.js loads this file through Node's type stripping, which would keep a plain import of a type, and fail on it.
import type { LogLine } from './log-store';

/**
 * What must never appear in a log line, of the chaos hosts or of the built demo
 * (scripts/check-demo-build.js): the run's secret key and webhook secret (and anything of their
 * shape), a `Stripe-Signature` value, an email address. Matches are reported redacted, so the
 * test's own output does not repeat them.
 */
export interface Leak {
  rule: string;
  instance: string;
  excerpt: string;
}

export function leakRules(secretKey: string, webhookSecret: string): [string, RegExp][] {
  const literal = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return [
    ['secret key', literal(secretKey)],
    ['secret key (shape)', /\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9]{6,}/],
    ['webhook secret', literal(webhookSecret)],
    ['webhook secret (shape)', /whsec_[A-Za-z0-9]{4,}/],
    ['Stripe-Signature value', /\bt=\d{6,}\s*,\s*v[01]=[0-9a-f]{16,}/i],
    ['Stripe-Signature v1', /\bv1=[0-9a-f]{32,}/i],
    ['email address', /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/],
  ];
}

export function scanLogs(lines: readonly LogLine[], rules: [string, RegExp][]): Leak[] {
  const leaks: Leak[] = [];
  for (const line of lines) {
    for (const [rule, pattern] of rules) {
      const match = pattern.exec(line.text);
      if (!match) continue;
      const redacted = line.text.replace(match[0], `[${rule.toUpperCase()} REDACTED]`);
      leaks.push({ rule, instance: line.instance, excerpt: redacted.slice(Math.max(0, match.index - 120), match.index + 160) });
    }
  }
  return leaks;
}
