/**
 * `npm run test:browser`: the admin pages in Chromium, driven by Playwright, over real hosts (Express
 * and Fastify), real PostgreSQL and the fake Stripe. Not part of `npm test`: the main
 * jest.config.js matches neither this folder's file names nor this config.
 */
const { join } = require('node:path');

const root = join(__dirname, '..', '..');

module.exports = {
  rootDir: root,
  displayName: 'browser',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: join(root, 'tsconfig.json') }] },
  ...require('../support/jest-module-map'),
  moduleFileExtensions: ['ts', 'js', 'json'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  // One browser and one host at a time: the machine has two cores.
  maxWorkers: 1,
  testTimeout: 30_000,
};
