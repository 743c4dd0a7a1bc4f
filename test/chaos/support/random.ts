export { seededRandom, shuffle } from '../../support/seeded-random';

export function chaosSeed(): number {
  return Number(process.env.CHAOS_SEED ?? 20261125);
}
