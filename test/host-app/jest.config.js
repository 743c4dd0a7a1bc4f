// Jest runs the tests as CommonJS (ts-jest compiles them so) and loads Nest 12 and
// @litestripe/nestjs, which are ES modules, through Node's require(esm): Node 24 with
// --experimental-vm-modules (npm run test:jest). Jest's own ESM mode fails on Nest 12: a CommonJS
// dependency (@nestjs/throttler) requiring @nestjs/common while the ES module graph loads is a cycle
// Jest refuses.
export default {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node10', isolatedModules: true, ignoreDeprecations: '6.0' } }] },
  testTimeout: 30_000,
};
