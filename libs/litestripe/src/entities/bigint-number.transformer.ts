import { ValueTransformer } from 'typeorm';

/** `pg` returns bigint as a string; Stripe timestamps (seconds) fit a JS number exactly. */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
