/** A module option is missing or malformed. Thrown at start-up; the message says what to do. */
export class LitestripeConfigError extends Error {
  constructor(
    readonly option: string,
    problem: string,
    remedy: string,
  ) {
    super(`Litestripe option "${option}" ${problem}. ${remedy}`);
    this.name = 'LitestripeConfigError';
  }
}
