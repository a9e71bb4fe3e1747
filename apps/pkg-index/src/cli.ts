import {
  COMMON_OPTIONS,
  EXIT,
  runCli,
  type CliApp,
  type CommandContext,
  type CommandDef,
  type CommandOutcome,
  type OptionDefs,
} from '@packyard/core';
import {
  runAddCommand,
  runBuildCommand,
  runPublishCommand,
  runStatusCommand,
  runVerifyCommand,
  runYankCommand,
} from './commands/index-dir.js';
import { runHashPasswordCommand, runServeCommand } from './commands/serve.js';
import type { CliIo } from './commands/shared.js';
import { runDispatchCommand, runUpdateCommand } from './commands/update.js';

export type { CliIo };

const str = (value: string, description: string) => ({ type: 'string' as const, value, description });
const flag = (description: string) => ({ type: 'boolean' as const, description });
const INDEX_DIR = { 'index-dir': str('DIR', 'the index directory') };

// Seed spellings (issue_update.sh and the workflow inputs) are aliases of packyard's options.
const SOURCE_OPTIONS: OptionDefs = {
  owner: {
    ...str('OWNER', 'the source repository on GitHub: its owner'),
    aliases: ['source-org', 'source-owner'],
  },
  repo: { ...str('REPO', 'the source repository'), aliases: ['source-repo'] },
  ref: {
    ...str('REF', 'the branch, tag or commit to build'),
    aliases: ['source-ref', 'source-branch', 'dependency-ref'],
  },
};

function command(
  summary: string,
  options: OptionDefs,
  run: (c: CommandContext) => Promise<number | CommandOutcome>,
  extra: Partial<CommandDef> = {},
): CommandDef {
  return { summary, options, run, ...extra };
}

/** The pkg-index command line: options → the pipeline (@packyard/pkg-index-pipeline) → a report. */
export function pkgIndexApp(io: CliIo): CliApp {
  return {
    name: 'pkg-index',
    packageJson: new URL('../package.json', import.meta.url),
    description:
      'A static Python package index in a git repository or a directory: build, add, yank, serve, publish.',
    commands: {
      update: command(
        'build a wheel from a git ref, install-test it, add it to the index, commit and push',
        {
          ...SOURCE_OPTIONS,
          'index-dir': str('DIR', 'a clean checkout of the index repository, updated in place (default: .)'),
          'index-repo': str('URL', "the index repository's git URL: cloned when there is no checkout"),
          branch: str('NAME', 'the index branch (default main)'),
          'git-base': str('URL', 'clone URLs are URL/OWNER/REPO (default https://github.com)'),
          'index-url': str('URL', "where build backends and dependencies come from (default: pip's index)"),
          python: str('PY', "the interpreter to build and test with (default: packyard's tools python)"),
          'push-attempts': str('N', 'how often a push that lost a race is re-applied (default 5)'),
          replace: flag('replace a wheel of the same name whose bytes differ'),
          author: str('"NAME <EMAIL>"', 'commit author (default github-actions[bot])'),
          'dry-run': COMMON_OPTIONS.dryRun,
        },
        (c) => runUpdateCommand(c, io),
        {
          details:
            'Steps, each an [n/N] item on stderr: index, clone, build, install-test, publish.\n' +
            '--dry-run checks the names and prints the plan; nothing is cloned or written.',
        },
      ),
      dispatch: command(
        'ask the index repository to update a dependency (repository_dispatch "update_package_index")',
        {
          ...SOURCE_OPTIONS,
          'index-repo': str('OWNER/NAME', 'the index repository (default: $PKG_INDEX_REPO)'),
          'token-file': str(
            'FILE',
            'read the token from FILE (default: $PKG_UPDATE_TOKEN, $GITHUB_TOKEN, $GH_TOKEN)',
          ),
          'api-url': str('URL', 'GitHub REST API base (default https://api.github.com)'),
        },
        (c) => runDispatchCommand(c, io),
      ),
      add: command(
        'add built wheels/sdists to an index directory (push mode)',
        { ...INDEX_DIR, replace: flag('replace a file of the same name whose bytes differ') },
        (c) => runAddCommand(c, io),
        { args: 'FILE...', positionals: true },
      ),
      yank: command(
        'mark a file of an index directory yanked (PEP 592)',
        { ...INDEX_DIR, reason: str('TEXT', 'why') },
        (c) => runYankCommand('yank', c),
        { args: 'FILENAME', positionals: true },
      ),
      unyank: command('take the yanked mark away', INDEX_DIR, (c) => runYankCommand('unyank', c), {
        args: 'FILENAME',
        positionals: true,
      }),
      build: command(
        'write the index pages: from a dumb-pypi package list, or again from the files of --index-dir',
        {
          'package-list': str('FILE', "JSON lines, one file each, in dumb-pypi's --package-list-json format"),
          'packages-url': str(
            'URL',
            'where the files are served from, absolute or relative to a project page',
          ),
          out: str('DIR', 'where simple/, project/ and index.html go (incremental unless --full)'),
          full: flag('rewrite every page'),
          ...INDEX_DIR,
        },
        (c) => runBuildCommand(c),
      ),
      serve: command(
        'serve an index directory over HTTP, with uploads from twine (push mode)',
        {
          ...INDEX_DIR,
          host: str('HOST', 'default 127.0.0.1'),
          port: str('PORT', 'default 8080; 0 picks a free port (the URL is printed)'),
          config: str('FILE', 'YAML/JSON with the users who may upload; without it the index is read-only'),
        },
        (c) => runServeCommand(c, io),
      ),
      publish: command(
        'copy an index directory to an object store (S3/R2 bucket or directory), by digest',
        {
          ...INDEX_DIR,
          to: str('LOCATION', 's3://BUCKET (account from AWS_* variables) or a directory'),
          prefix: str('PREFIX', "key prefix ending in / (default: the bucket's root)"),
          replace: flag('replace a file or metadata file the store holds with other bytes'),
        },
        (c) => runPublishCommand(c),
        { details: 'Each object is an [n/N] item on stderr (files, then project pages, then the roots).' },
      ),
      status: command(
        'mark a project archived or deprecated (PEP 792), or active again',
        { ...INDEX_DIR, set: str('STATUS', 'active, archived or deprecated'), reason: str('TEXT', 'why') },
        (c) => runStatusCommand(c),
        { args: 'PROJECT', positionals: true },
      ),
      verify: command(
        'check an index directory: every listed file present with its hash, nothing unlisted, no debris',
        INDEX_DIR,
        (c) => runVerifyCommand(c),
      ),
      'hash-password': command(
        'read a password on stdin and print its bcrypt hash for the serve config',
        { cost: str('N', 'bcrypt cost (default 12)') },
        (c) => runHashPasswordCommand(c, io),
      ),
    },
    exitCodes: [
      [EXIT.auth, 'dispatch: no token (nothing was sent)'],
      [EXIT.verify, 'verify: the index directory is inconsistent (each problem is printed)'],
      [
        EXIT.config,
        'invalid configuration or input: a name or ref, the serve config, a dirty index checkout',
      ],
      [
        EXIT.conflict,
        'the index holds a file of that name with other bytes (files are immutable; --replace)',
      ],
      [
        EXIT.tool,
        'update: building the wheel failed; a tool (git, python, uv) could not be provisioned or run',
      ],
      [EXIT.clone, 'update: cloning the source (or the index repository) failed'],
      [EXIT.installTest, 'update: the install test failed (installing the wheel or importing its modules)'],
      [EXIT.push, 'update: pushing to the index branch failed (refused, or lost the race every time)'],
      [EXIT.invalidFile, 'not a valid distribution file (name, damaged member, metadata)'],
      [EXIT.dispatch, 'dispatch: GitHub refused the dispatch or could not be reached'],
    ],
  };
}

/** The whole command line: parse, wire, run, report; returns the exit code. */
export function main(argv: readonly string[], io: CliIo): Promise<number> {
  return runCli(pkgIndexApp(io), argv, io);
}
