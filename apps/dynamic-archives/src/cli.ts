import {
  COMMON_OPTIONS,
  EXIT,
  runCli,
  type CliApp,
  type CliIo as CoreCliIo,
  type CommandContext,
  type CommandDef,
  type CommandOutcome,
  type OptionDefs,
} from '@packyard/core';
import {
  runCreateCommand,
  runFind,
  runGcCommand,
  runPublishCommand,
  runStore,
  runVerifyCommand,
  type Home,
} from './commands.js';

/** The process around `main`: output, environment and home directory, which tests replace. */
export interface CliIo extends CoreCliIo, Home {}

const STORE: OptionDefs = {
  'store-dir': {
    type: 'string',
    value: 'DIR',
    description: 'the store (default $METATOOLS_WORKSPACE/repo_tmp/stores, else ~/repo_tmp/stores)',
  },
  scope: { type: 'string', value: 'NAME', description: 'dynamic-record scope (default local)' },
};
const KEYED: OptionDefs = {
  ...STORE,
  'key-json': {
    type: 'string',
    value: 'JSON',
    description:
      'the key, a JSON object such as \'{"gosum": "abc"}\' (final_name comes from NAME); {"$date": ...} is a date, {"$numberDouble": "2.0"} a float',
  },
  'cdn-url': {
    type: 'string',
    value: 'URL',
    description: 'base URL of the CDN (default $METATOOLS_DISTFILES_HOST, else https://direct.funtoo.org)',
  },
};
const STORING: OptionDefs = {
  ...KEYED,
  'metadata-json': { type: 'string', value: 'JSON', description: 'metadata kept with the record' },
  distfiles: {
    type: 'string',
    value: 'DIR',
    description:
      'copy the archive here (default /var/cache/portage/distfiles; skipped with a warning when not writable)',
  },
  'no-distfiles': { type: 'boolean', description: 'do not copy into distfiles' },
  production: { type: 'boolean', description: 'production mode, never copy into distfiles' },
};

function command(
  summary: string,
  args: string | undefined,
  options: OptionDefs,
  run: (c: CommandContext, io: Home) => Promise<CommandOutcome>,
  io: CliIo,
): CommandDef {
  return {
    summary,
    ...(args === undefined ? {} : { args, positionals: { count: 1, missing: `a ${args}` } }),
    options,
    run: (c) => run(c, io),
  };
}

/** The dynamic-archives command line. */
export function dynamicArchivesApp(io: CliIo): CliApp {
  return {
    name: 'dynamic-archives',
    packageJson: new URL('../package.json', import.meta.url),
    description:
      'Archives found or created by name + key, kept by content hash (metatools-compatible records).',
    commands: {
      find: command(
        'print the archive stored under NAME and --key-json (exit 1 when there is none)',
        'NAME',
        { ...KEYED, force: { type: 'boolean', description: 'find nothing (doit --force_dynamic)' } },
        runFind,
        io,
      ),
      create: command(
        'archive a directory (--from) under NAME and --key-json, unless it is already stored',
        'NAME',
        {
          ...STORING,
          from: {
            type: 'string',
            value: 'DIR',
            description: 'the directory whose contents go into the archive',
          },
          'top-directory': {
            type: 'string',
            value: 'NAME',
            description: 'put every file under this directory',
          },
          force: { type: 'boolean', description: 'rebuild even if stored (doit --force_dynamic)' },
        },
        runCreateCommand,
        io,
      ),
      store: command(
        'store an existing archive file as it is (under --name, default its file name)',
        'FILE',
        {
          ...STORING,
          name: { type: 'string', value: 'NAME', description: 'the final name (default: the file name)' },
        },
        runStore,
        io,
      ),
      manifest: command(
        "add NAME's DIST line to a Manifest (--manifest), print it and the SRC_URI form",
        'NAME',
        {
          ...KEYED,
          manifest: {
            type: 'string',
            value: 'FILE',
            description: 'the Manifest to update (atomically, DIST lines only, sorted)',
          },
        },
        runFind,
        io,
      ),
      publish: command(
        'push every blob to the CDN store (--to) under both GLEP 75 layouts, with layout.conf',
        undefined,
        {
          ...STORE,
          to: {
            type: 'string',
            value: 'LOCATION',
            description:
              's3://BUCKET (account from AWS_* or R2_* variables) or a directory (default $DYNAMIC_ARCHIVES_CDN, else <store-dir>/../cdn)',
          },
          prefix: {
            type: 'string',
            value: 'PREFIX',
            description: 'key prefix in the CDN store (such as distfiles/)',
          },
        },
        runPublishCommand,
        io,
      ),
      verify: command(
        're-hash every blob and report those that do not match their record',
        undefined,
        STORE,
        runVerifyCommand,
        io,
      ),
      gc: command(
        'remove blobs no record points at (--dry-run to only list them)',
        undefined,
        { ...STORE, 'dry-run': COMMON_OPTIONS.dryRun },
        runGcCommand,
        io,
      ),
    },
    exitCodes: [
      [
        EXIT.failed,
        'find: no archive is stored under that name and key; publish: some blobs could not be published',
      ],
      [EXIT.auth, 'publish: no credentials for an s3:// location'],
      [EXIT.verify, "verify: some blobs do not match their records; publish/copy: a blob's bytes are wrong"],
      [EXIT.config, 'invalid configuration or input (such as a Manifest line)'],
      [EXIT.conflict, "publish: the CDN holds other bytes under a blob's name"],
      [
        EXIT.store,
        'the store cannot be used (a corrupt record, a directory that cannot be written), or the CDN cannot be reached',
      ],
      [EXIT.write, 'writing an archive failed (disk full, permissions)'],
      [
        EXIT.invalidFile,
        'invalid final name, top directory or source directory (a symlink or special file), or not a valid archive',
      ],
    ],
  };
}

/** The whole command line: parse, wire, run, report; returns the exit code. */
export function main(argv: readonly string[], io: CliIo): Promise<number> {
  return runCli(dynamicArchivesApp(io), argv, io);
}
