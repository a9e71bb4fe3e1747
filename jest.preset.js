// Shared Jest setup: TypeScript ESM through ts-jest, and @packyard/* mapped to source so tests
// never depend on a previous compile.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** @returns {import('jest').Config} */
export function jestConfig(projectDir) {
  return {
    displayName: projectDir.split('/').slice(-2).join('/'),
    rootDir: projectDir,
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/src/**/*.test.ts'],
    moduleNameMapper: {
      // Test-support packages live under tools/, libraries under libs/.
      '^@packyard/(github-emulator|hermit-client|s3-server|pypi-server|test-helpers)$': join(
        root,
        'tools/$1/src/index.ts',
      ),
      '^@packyard/([a-z0-9-]+)$': join(root, 'libs/$1/src/index.ts'),
      '^@packyard/([a-z0-9-]+)/testing$': join(root, 'libs/$1/src/testing.ts'),
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    transform: {
      '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: join(projectDir, 'tsconfig.spec.json') }],
    },
    testTimeout: 600_000,
  };
}
