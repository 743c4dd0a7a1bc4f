/**
 * `npm run test:chaos`: the multi-instance and fault suite (RELIABILITY.md). Real host
 * processes (test/chaos/host, compiled by global-setup.js), real PostgreSQL, real HTTP. Not part of
 * `npm test`: the main jest.config.js matches neither this folder's file names nor this config.
 */
const { join } = require('node:path');

const root = join(__dirname, '..', '..');

module.exports = {
  rootDir: root,
  displayName: 'chaos',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: join(root, 'tsconfig.json') }] },
  ...require('../support/jest-module-map'),
  moduleFileExtensions: ['ts', 'js', 'json'],
  globalSetup: '<rootDir>/test/chaos/global-setup.js',
  globalTeardown: '<rootDir>/test/chaos/global-teardown.js',
  maxWorkers: 1,
  // Each scenario bounds its own phases; this is the backstop for one scenario.
  testTimeout: 240_000,
};
