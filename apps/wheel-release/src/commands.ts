import { COMMON_OPTIONS, type CommandDef, type OptionDefs } from '@packyard/core';
import type { ReleaseCommand } from '@packyard/wheel-release';

// The command line of each command: its summary, arguments and options, as `--help` shows them.

const DIR: OptionDefs = {
  dir: { ...COMMON_OPTIONS.dir, description: 'the project: the directory holding release.yaml (default: .)' },
};
const OUT: OptionDefs = {
  out: { type: 'string', value: 'DIR', description: "the release's files (default dist/wheel-release)" },
};
const GIT_SHA: OptionDefs = {
  'git-sha': {
    type: 'string',
    value: 'SHA',
    description: 'the commit baked into --version (default: GITHUB_SHA, else git rev-parse HEAD in --dir)',
  },
  'allow-dirty': {
    type: 'boolean',
    description: "take HEAD's sha even though --dir has uncommitted changes",
  },
};

/** Every command's definition, without its handler. */
export const COMMANDS: Readonly<Record<ReleaseCommand, Omit<CommandDef, 'run'>>> = {
  plan: {
    summary: "show the version, any place that disagrees with it, and how each platform's wheel gets built",
    options: DIR,
  },
  bump: {
    summary: 'raise the version in release.yaml and write it everywhere (refuses a dirty tree)',
    args: '--patch|--minor|--major|--pre',
    options: {
      ...DIR,
      patch: { type: 'boolean', description: '0.2.30 → 0.2.31' },
      minor: { type: 'boolean', description: '0.2.30 → 0.3.0' },
      major: { type: 'boolean', description: '0.2.30 → 1.0.0' },
      pre: { type: 'boolean', description: 'the next pre-release' },
    },
  },
  sync: { summary: "write release.yaml's version into every place it lists", options: DIR },
  check: {
    summary: 'fail, naming file, key and value, when a place (or the tag) disagrees',
    options: {
      ...DIR,
      tag: {
        type: 'string',
        value: 'TAG',
        description: 'the tag to compare (v0.2.31 or 0.2.31); default: GITHUB_REF_NAME for a tag run',
      },
    },
  },
  build: {
    summary: 'build the platform wheels (maturin --zig) and the sdist into --out',
    options: {
      ...DIR,
      platforms: {
        type: 'string',
        value: 'LIST',
        description:
          'comma-separated, from wheels.platforms (default: every one this machine can cross-build)',
      },
      'no-sdist': { type: 'boolean', description: "the wheels only (a native runner's share)" },
      ...OUT,
      ...GIT_SHA,
    },
  },
  verify: {
    summary:
      'check the files in --out as PyPI would and more (names, tags, METADATA, RECORD, twine, install)',
    options: {
      ...DIR,
      ...OUT,
      ...GIT_SHA,
      'no-install-test': {
        type: 'boolean',
        description: 'skip installing the wheel and the sdist into a fresh venv',
      },
    },
  },
  publish: {
    summary: 'verify the files in --out, then upload those the index does not have yet',
    options: {
      ...DIR,
      ...OUT,
      'repository-url': {
        type: 'string',
        value: 'URL',
        description:
          "the upload endpoint (default PyPI's); credentials from TWINE_USERNAME/TWINE_PASSWORD, PYPI_TOKEN, or trusted publishing",
      },
      'index-url': {
        type: 'string',
        value: 'URL',
        description: 'the index read back to skip files it has and check digests',
      },
      'repository-dir': {
        type: 'string',
        value: 'DIR',
        description: 'a PEP 503/691 static index in DIR instead of an upload (no account, no token)',
      },
      'dry-run': { ...COMMON_OPTIONS.dryRun, description: 'everything except the upload' },
    },
  },
  runners: {
    summary:
      "the CI build matrix: this Linux runner's cross builds, and a native runner per platform that needs one",
    options: DIR,
  },
};
