import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  UsageError,
  parseCommandLine,
  toPackyardError,
  type CommandOptions,
  type ErrorCode,
  type ParsedCommandLine,
} from '@packyard/core';
import {
  ArchiveStore,
  archiveDirectory,
  checkFinalName,
  checkTopDirectory,
  collectGarbage,
  findArchive,
  parseCanonicalJson,
  publishBlobs,
  renderManifestLine,
  resolveStoreDir,
  storeExistingArchive,
  verifyStore,
  writeManifest,
  type CreateArchiveOptions,
  type KeyObject,
  type StoredArchive,
} from '@packyard/archive';
import { openObjectStore, type ObjectStore } from '@packyard/r2-store';

export const USAGE = `usage: dynamic-archives <command> [options]

Commands:
  find NAME          print the archive stored under NAME and --key-json (exit 1 when there is none)
  create NAME        archive a directory (--from) under NAME and --key-json, unless it is already stored
  store FILE         store an existing archive file as it is (under --name, default its file name)
  manifest NAME      add NAME's DIST line to a Manifest (--manifest), print it and the SRC_URI form
  publish            push every blob to the CDN store (--to) under both GLEP 75 layouts, with layout.conf:
                     <2>/<2>/<2>/<sha512> and <blake2b(name)[0:2]>/<final name>
  verify             re-hash every blob and report those that do not match their record
  gc                 remove blobs no record points at (--dry-run to only list them)

Options (where they apply):
  --store-dir DIR        the store (default $METATOOLS_WORKSPACE/repo_tmp/stores, else ~/repo_tmp/stores)
  --scope NAME           dynamic-record scope (default local)
  --key-json JSON        the key, a JSON object such as '{"gosum": "abc"}' (final_name comes from NAME).
                         Integers are integers, other numbers floats; {"$date": "2024-01-02T00:00:00Z"}
                         or {"$date": {"$numberLong": "…"}} is a date, {"$numberDouble": "2.0"} a float.
  --metadata-json JSON   metadata kept with the record (create, store)
  --from DIR             create: the directory whose contents go into the archive
  --top-directory NAME   create: put every file under this directory in the archive
  --force                find: find nothing; create: rebuild even if stored (doit --force_dynamic)
  --distfiles DIR        create, store: copy the archive here (default /var/cache/portage/distfiles;
                         skipped with a warning when not writable)
  --no-distfiles         create, store: do not copy into distfiles
  --production           create, store: production mode, never copy into distfiles
  --cdn-url URL          base URL of the CDN (default $METATOOLS_DISTFILES_HOST, else https://direct.funtoo.org)
  --manifest FILE        manifest: the Manifest to update (written atomically, DIST lines only, sorted)
  --to LOCATION          publish: s3://BUCKET (account from AWS_* or R2_* variables) or a directory
                         (default $DYNAMIC_ARCHIVES_CDN, else <store-dir>/../cdn)
  --prefix PREFIX        publish: key prefix in the CDN store (such as distfiles/)
  --dry-run              gc: list what would be removed, remove nothing
  --json                 print one JSON document instead of text
  -h, --help             show this help

Exit codes:
  0   done
  1   find: no archive is stored under that name and key
  2   an option was given twice, or has a bad value (such as --key-json that is not a JSON object)
  3   unknown option or command
  4   unexpected argument
  5   a required option or argument is missing
  6   invalid input: final name, top directory, key, source directory (a symlink), Manifest line
  7   the store cannot be used: a corrupt record, a store directory that cannot be written
  8   verify: some blobs do not match their records; publish/copy: a blob's bytes are wrong
  9   publish: the CDN holds other bytes under a blob's name (content-addressed names never change)
  10  publish: some blobs could not be published, or the CDN store could not be reached
  11  writing an archive failed (disk full, permissions)
  12  publish: no credentials for an s3:// location
  70  internal error`;

/** The documented exit codes. */
export const EXIT = {
  ok: 0,
  notFound: 1,
  badValue: 2,
  unknownOption: 3,
  unexpectedArgument: 4,
  missingOption: 5,
  invalidInput: 6,
  store: 7,
  verify: 8,
  conflict: 9,
  publish: 10,
  write: 11,
  auth: 12,
  internal: 70,
} as const;

/** The process around `main`: output and environment, which tests replace. */
export interface CliIo {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: Record<string, string | undefined>;
  home?: string;
}

type Options = CommandOptions;
const STORE: Options = {
  'store-dir': { type: 'string' },
  scope: { type: 'string' },
  json: { type: 'boolean' },
};
const KEYED: Options = { ...STORE, 'key-json': { type: 'string' }, 'cdn-url': { type: 'string' } };
const STORING: Options = {
  ...KEYED,
  'metadata-json': { type: 'string' },
  distfiles: { type: 'string' },
  'no-distfiles': { type: 'boolean' },
  production: { type: 'boolean' },
};

const COMMANDS: Readonly<Record<string, { options: Options; positionals: number }>> = {
  find: { positionals: 1, options: { ...KEYED, force: { type: 'boolean' } } },
  create: {
    positionals: 1,
    options: {
      ...STORING,
      from: { type: 'string' },
      'top-directory': { type: 'string' },
      force: { type: 'boolean' },
    },
  },
  store: { positionals: 1, options: { ...STORING, name: { type: 'string' } } },
  manifest: { positionals: 1, options: { ...KEYED, manifest: { type: 'string' } } },
  publish: { positionals: 0, options: { ...STORE, to: { type: 'string' }, prefix: { type: 'string' } } },
  verify: { positionals: 0, options: STORE },
  gc: { positionals: 0, options: { ...STORE, 'dry-run': { type: 'boolean' } } },
};

type Parsed = ParsedCommandLine;

function parseCommand(command: string, args: readonly string[]): Parsed {
  const spec = COMMANDS[command]!;
  return parseCommandLine(
    command,
    {
      options: spec.options,
      positionals: { count: spec.positionals, missing: command === 'store' ? 'a FILE' : 'a NAME' },
    },
    args,
    EXIT,
  );
}

function str(values: Parsed['values'], name: string): string | undefined {
  const value = values[name];
  if (value === '') throw new UsageError(EXIT.badValue, `--${name} is empty`);
  return typeof value === 'string' ? value : undefined;
}

/**
 * A JSON object from the command line, read as extended JSON (so {"$date": …} is a date and
 * {"$numberDouble": "2.0"} a float); plain JSON numbers are integers when integral, else floats.
 */
function jsonObject(values: Parsed['values'], name: string): KeyObject | undefined {
  const text = str(values, name);
  if (text === undefined) return undefined;
  let plain: unknown;
  try {
    plain = JSON.parse(text);
  } catch (error) {
    throw new UsageError(EXIT.badValue, `--${name} is not valid JSON: ${(error as Error).message}`);
  }
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    throw new UsageError(EXIT.badValue, `--${name} must be a JSON object, not ${JSON.stringify(plain)}`);
  }
  try {
    return parseCanonicalJson(text);
  } catch (error) {
    throw new UsageError(EXIT.badValue, `--${name} is not valid extended JSON: ${(error as Error).message}`);
  }
}

/** Maps an error code to the documented exit code. */
export function exitCodeForError(code: ErrorCode): number {
  switch (code) {
    case 'ARCHIVE_INVALID':
    case 'CONFIG_INVALID':
      return EXIT.invalidInput;
    case 'STORE_FAILED':
      return EXIT.store;
    case 'VERIFY_FAILED':
      return EXIT.verify;
    case 'STORE_CONFLICT':
    case 'CONFLICT':
      return EXIT.conflict;
    case 'ARCHIVE_WRITE_FAILED':
      return EXIT.write;
    case 'AUTH_MISSING':
      return EXIT.auth;
    default:
      return code === 'INTERNAL' ? EXIT.internal : EXIT.publish;
  }
}

function describeArchive(archive: StoredArchive): Record<string, unknown> {
  return {
    finalName: archive.finalName,
    size: archive.size,
    digests: archive.digests,
    blobPath: archive.blobPath,
    url: archive.url,
    srcUri: archive.srcUri,
    recordPath: archive.recordPath,
    ...(archive.distfile === undefined ? {} : { distfile: archive.distfile }),
  };
}

function archiveText(archive: StoredArchive, status: string): string {
  return [
    `${status} ${archive.finalName}`,
    `  size    ${archive.size}`,
    `  sha512  ${archive.digests.sha512}`,
    `  blake2b ${archive.digests.blake2b}`,
    `  sha256  ${archive.digests.sha256}`,
    `  blob    ${archive.blobPath}`,
    `  url     ${archive.url}`,
    `  SRC_URI ${archive.srcUri}`,
    ...(archive.distfile === undefined
      ? []
      : [`  distfiles ${archive.distfile.status} ${archive.distfile.path}`]),
  ].join('\n');
}

/** The whole command line: parse, wire, run, report; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout)(`${USAGE}\n`);
    return command === undefined ? EXIT.missingOption : EXIT.ok;
  }
  if (!(command in COMMANDS)) {
    io.stderr(
      `dynamic-archives: unknown command ${JSON.stringify(command)}\n  try 'dynamic-archives --help'\n`,
    );
    return EXIT.unknownOption;
  }
  try {
    const parsed = parseCommand(command, rest);
    if (parsed.values['help'] === true) {
      io.stdout(`${USAGE}\n`);
      return EXIT.ok;
    }
    return await run(command, parsed, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`dynamic-archives ${command}: ${error.message}\n  try 'dynamic-archives --help'\n`);
      return error.exitCode;
    }
    const failure = toPackyardError(error);
    const json = rest.includes('--json');
    if (json)
      io.stdout(
        `${JSON.stringify({ error: { code: failure.code, message: failure.message, file: failure.file, field: failure.field } })}\n`,
      );
    io.stderr(`error: ${failure.format()}\n`);
    return exitCodeForError(failure.code);
  }
}

async function run(command: string, parsed: Parsed, io: CliIo): Promise<number> {
  const { values, positionals } = parsed;
  const env = io.env ?? process.env;
  const json = values['json'] === true;
  const storeDir = resolveStoreDir(
    str(values, 'store-dir') === undefined ? undefined : resolve(io.cwd, str(values, 'store-dir')!),
    env,
    io.home,
  );
  const scope = str(values, 'scope');
  const cdnUrl = str(values, 'cdn-url');
  const common = {
    storeDir,
    env,
    ...(scope === undefined ? {} : { scope }),
    ...(cdnUrl === undefined ? {} : { cdnUrl }),
  };
  const print = (value: unknown, text: string): void => io.stdout(`${json ? JSON.stringify(value) : text}\n`);
  const warn = (line: string): void => io.stderr(`${line}\n`);

  switch (command) {
    case 'find':
    case 'manifest': {
      const name = positionals[0]!;
      const key = jsonObject(values, 'key-json');
      const manifest = command === 'manifest' ? str(values, 'manifest') : undefined;
      if (command === 'manifest' && manifest === undefined)
        throw new UsageError(EXIT.missingOption, '--manifest was not specified');
      const found = await findArchive(name, {
        ...common,
        ...(key === undefined ? {} : { key }),
        force: values['force'] === true,
      });
      if (found === undefined) {
        print({ found: false, finalName: name }, `not found: ${name}`);
        return EXIT.notFound;
      }
      if (command === 'find') {
        print({ found: true, ...describeArchive(found) }, archiveText(found, 'found'));
        return EXIT.ok;
      }
      const manifestPath = resolve(io.cwd, manifest!);
      await writeManifest(manifestPath, [found]);
      const line = renderManifestLine(found);
      print({ manifest: manifestPath, line, srcUri: found.srcUri }, `${line}\nSRC_URI: ${found.srcUri}`);
      return EXIT.ok;
    }
    case 'create':
    case 'store': {
      const key = jsonObject(values, 'key-json');
      const metadata = jsonObject(values, 'metadata-json');
      const distfiles = str(values, 'distfiles');
      if (distfiles !== undefined && values['no-distfiles'] === true) {
        throw new UsageError(EXIT.badValue, '--distfiles and --no-distfiles exclude each other');
      }
      const options: CreateArchiveOptions = {
        ...common,
        log: warn,
        production: values['production'] === true,
        ...(values['no-distfiles'] === true ? { distfilesDir: false } : {}),
        ...(distfiles === undefined ? {} : { distfilesDir: resolve(io.cwd, distfiles) }),
      };
      const keyed = {
        ...(key === undefined ? {} : { key }),
        ...(metadata === undefined ? {} : { metadata }),
      };
      if (command === 'store') {
        const file = resolve(io.cwd, positionals[0]!);
        const stored = await storeExistingArchive(str(values, 'name') ?? basename(file), file, {
          ...options,
          ...keyed,
        });
        print({ status: 'stored', ...describeArchive(stored) }, archiveText(stored, 'stored'));
        return EXIT.ok;
      }
      const name = positionals[0]!;
      const from = str(values, 'from');
      if (from === undefined) throw new UsageError(EXIT.missingOption, '--from was not specified');
      const top = str(values, 'top-directory');
      if (top !== undefined) checkTopDirectory(top);
      checkFinalName(name);
      const existing = await findArchive(name, {
        ...common,
        ...(key === undefined ? {} : { key }),
        force: values['force'] === true,
      });
      if (existing !== undefined) {
        print({ status: 'found', ...describeArchive(existing) }, archiveText(existing, 'found'));
        return EXIT.ok;
      }
      // Read in place, no copy; the tree is checked whole (a symlink or special file anywhere under
      // --from is refused) before anything is written.
      const stored = await archiveDirectory(name, resolve(io.cwd, from), {
        ...options,
        ...keyed,
        ...(top === undefined ? {} : { topDirectory: top }),
      });
      print({ status: 'created', ...describeArchive(stored) }, archiveText(stored, 'created'));
      return EXIT.ok;
    }
    case 'publish': {
      const store = new ArchiveStore(storeDir, scope);
      const to = str(values, 'to') ?? env['DYNAMIC_ARCHIVES_CDN'] ?? join(dirname(storeDir), 'cdn');
      const location = /^[a-z][a-z0-9+.-]*:\/\//i.test(to) ? to : resolve(io.cwd, to);
      if (!location.includes('://')) await mkdir(location, { recursive: true });
      const target: ObjectStore = openObjectStore(location, { env });
      const prefix = str(values, 'prefix');
      const report = await publishBlobs(store, target, {
        ...(prefix === undefined ? {} : { prefix }),
        log: warn,
      });
      print(
        report,
        [
          `published to ${report.location}: ${report.uploaded.length} blob(s) uploaded, ${report.skipped.length} already there; ${report.names.uploaded.length} name(s) uploaded, ${report.names.skipped.length} already there; ${report.failed.length} failed; layout.conf ${report.layoutConf}`,
          ...report.failed.map((f) => `  failed ${f.finalName ?? f.sha512}: ${f.error}`),
        ].join('\n'),
      );
      return report.failed.length === 0 ? EXIT.ok : EXIT.publish;
    }
    case 'verify': {
      const report = await verifyStore(new ArchiveStore(storeDir, scope));
      print(
        report,
        [
          `checked ${report.checked} blob(s): ${report.problems.length === 0 ? 'all match their records' : `${report.problems.length} problem(s)`}`,
          ...report.problems.map((p) => `  ${p.problem}: ${p.path}: ${p.detail}`),
        ].join('\n'),
      );
      return report.problems.length === 0 ? EXIT.ok : EXIT.verify;
    }
    default: {
      const report = await collectGarbage(new ArchiveStore(storeDir, scope), {
        dryRun: values['dry-run'] === true,
      });
      const verb = report.dryRun ? 'would remove' : 'removed';
      print(
        report,
        [
          `${verb} ${report.removed.length} blob(s) (${report.bytes} bytes), kept ${report.kept}; ${verb} ${report.staleTemp.length} stale work file(s)`,
          ...report.removed.map((sha) => `  ${sha}`),
          ...report.unreadable.map((path) => `  unreadable record (its blobs kept): ${path}`),
        ].join('\n'),
      );
      return EXIT.ok;
    }
  }
}
