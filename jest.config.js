/** Jest runs on the Node 24 that package.json installs (see scripts/test.js for why). */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
const moduleNameMapper = {
  '^@litestripe/nestjs$': '<rootDir>/libs/litestripe/src',
  '^@litestripe/nestjs/(.*)$': '<rootDir>/libs/litestripe/src/$1',
};
const common = { testEnvironment: 'node', transform: { '^.+\\.ts$': tsJest }, moduleNameMapper, moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  projects: [
    { ...common, displayName: 'unit', rootDir: __dirname, testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', rootDir: __dirname, testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
