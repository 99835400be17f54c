/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test', '<rootDir>/client'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  transform: {
    // Type checking happens once in `npm run lint` (tsc --noEmit); here we only transpile.
    // client/ is an ES module package; for jest everything is compiled to CommonJS.
    '^.+\\.ts$': [
      'ts-jest',
      { diagnostics: false, tsconfig: { module: 'commonjs', moduleResolution: 'node10' } },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // client/ is ESM and imports './x.js'; jest resolves those to the TypeScript sources.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 30000,
};
