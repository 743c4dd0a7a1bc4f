/** Jest runs on the Node 24 that package.json installs (see scripts/test.js for why). */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
const { moduleNameMapper, modulePathIgnorePatterns } = require('./test/support/jest-module-map');
const common = { testEnvironment: 'node', transform: { '^.+\\.ts$': tsJest }, moduleNameMapper, modulePathIgnorePatterns, moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  projects: [
    { ...common, displayName: 'unit', rootDir: __dirname, testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', rootDir: __dirname, testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
