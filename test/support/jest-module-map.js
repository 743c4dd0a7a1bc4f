/**
 * How Jest finds the library from the repo's tests and benches: the package names map to its
 * TypeScript sources, and the `.js` endings its ESM sources write on relative imports map back to
 * the `.ts` files. The build output (dist/) is left out of Jest's module map: it holds a second
 * `package.json` named `@litestripe/nestjs`.
 */
module.exports = {
  moduleNameMapper: {
    '^@litestripe/nestjs$': '<rootDir>/libs/litestripe/src/index.ts',
    '^@litestripe/nestjs/testing$': '<rootDir>/libs/litestripe/src/testing/index.ts',
    '^@litestripe/nestjs/health$': '<rootDir>/libs/litestripe/src/health/index.ts',
    '^@litestripe/nestjs/brokers$': '<rootDir>/libs/litestripe/src/brokers/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/bench/dist/'],
};
