import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import { createProjectGraphAsync } from '@nx/devkit';
import tseslint from 'typescript-eslint';

// @nx/enforce-module-boundaries reads the project graph Nx caches in .nx/workspace-data and skips
// itself, with only a warning, when there is none (a fresh clone). Computing it here (a no-op when
// the cache is current) makes `eslint .` enforce the layers on every run.
await createProjectGraphAsync({ exitOnError: false });

// The layers (docs/layers.md): each project has one `layer:*` tag in its package.json, and a
// project depends only on the layers below its own. Tests may also use the test servers and
// scripts under tools/ (layer:tool); shipped code never does.
const SOURCE_LAYERS = {
  // Errors, retry, downloads, atomic files, processes, the object-store port, platforms, names.
  'layer:core': [],
  // A client talks to one kind of remote (or runs one kind of external tool). No client builds on
  // another today, so none may until one really has to.
  'layer:client': ['layer:core'],
  // A format reads and writes files of one kind. The store a format publishes into is core's port,
  // never a client; no format builds on another in shipped code.
  'layer:format': ['layer:core'],
  // A builder makes one kind of artifact with external tools, clients and formats (pex-builder:
  // lock, PEX, wrappers, tarballs), for a pipeline to sequence.
  'layer:builder': ['layer:core', 'layer:client', 'layer:format'],
  // A pipeline composes builders, clients and formats into the steps of one publishing job.
  'layer:pipeline': ['layer:core', 'layer:client', 'layer:format', 'layer:builder'],
  // An app adapts pipelines (and the clients that open its destinations) to a command line.
  'layer:app': ['layer:core', 'layer:client', 'layer:format', 'layer:builder', 'layer:pipeline'],
  // Test servers, scripts, checks and the Nx plugin may use any library, never an app.
  'layer:tool': [
    'layer:core',
    'layer:client',
    'layer:format',
    'layer:builder',
    'layer:pipeline',
    'layer:tool',
  ],
};

// What a test may import besides its own layer's dependencies: the test servers and scripts
// (layer:tool), and for a format the clients and formats that read back what it wrote (pypi-client
// reading an index, wheel-index building the index an archive test stores). Core's tests stay on
// core alone: every tool depends on core.
const TEST_EXTRAS = {
  'layer:core': [],
  'layer:client': ['layer:tool'],
  'layer:format': ['layer:client', 'layer:format', 'layer:tool'],
  'layer:builder': ['layer:tool'],
  'layer:pipeline': ['layer:tool'],
  'layer:app': ['layer:tool'],
  'layer:tool': [],
};

/** The rule's options: one constraint per layer, plus `extras` allowed on top (for tests). */
function layerRule(extras) {
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      // Tests import their own package by its public name, as a consumer would.
      allowCircularSelfDependency: extras !== undefined,
      // Node loads @packyard packages lazily to start commands fast; the rule's lazy-load check is
      // for bundlers that split chunks at a dynamic import, which we never do.
      checkDynamicDependenciesExceptions: ['@packyard/**'],
      depConstraints: Object.entries(SOURCE_LAYERS).map(([sourceTag, allowed]) => ({
        sourceTag,
        onlyDependOnLibsWithTags: [...allowed, ...(extras?.[sourceTag] ?? [])],
      })),
    },
  ];
}

/** The code of the projects. */
const PROJECT_CODE = ['{libs,apps,tools}/**/*.{ts,js,mjs}'];
/** Each project's jest.config.js imports the root preset, which is no project's. */
const JEST_CONFIGS = ['**/jest.config.js'];
/** Tests, their helpers and fixtures, and an app's farm run: code that exercises, never ships. */
const TEST_FILES = ['{libs,apps,tools}/*/{test,farm}/**/*.{ts,js,mjs}'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', '**/testdata/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: PROJECT_CODE,
    ignores: JEST_CONFIGS,
    plugins: { '@nx': nx },
    rules: { '@nx/enforce-module-boundaries': layerRule() },
  },
  {
    files: TEST_FILES,
    ignores: JEST_CONFIGS,
    rules: { '@nx/enforce-module-boundaries': layerRule(TEST_EXTRAS) },
  },
);
