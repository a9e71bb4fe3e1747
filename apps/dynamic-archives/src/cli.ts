import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  COMMON_OPTIONS,
  EXIT,
  runCli,
  usageError,
  type CliApp,
  type CliIo as CoreCliIo,
  type CommandContext,
  type CommandDef,
  type CommandOutcome,
  type OptionDefs,
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

/** The process around `main`: output and environment, which tests replace. */
export interface CliIo extends CoreCliIo {
  home?: string;
}

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
  run: (c: CommandContext, io: CliIo) => Promise<CommandOutcome>,
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
        runStore,
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
        runPublish,
        io,
      ),
      verify: command(
        're-hash every blob and report those that do not match their record',
        undefined,
        STORE,
        runVerify,
        io,
      ),
      gc: command(
        'remove blobs no record points at (--dry-run to only list them)',
        undefined,
        { ...STORE, 'dry-run': COMMON_OPTIONS.dryRun },
        runGc,
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

/**
 * A JSON object from the command line, read as extended JSON (so {"$date": …} is a date and
 * {"$numberDouble": "2.0"} a float); plain JSON numbers are integers when integral, else floats.
 */
function jsonObject(c: CommandContext, name: string): KeyObject | undefined {
  const text = c.string(name);
  if (text === undefined) return undefined;
  let plain: unknown;
  try {
    plain = JSON.parse(text);
  } catch (error) {
    throw usageError(`--${name} is not valid JSON: ${(error as Error).message}`);
  }
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    throw usageError(`--${name} must be a JSON object, not ${JSON.stringify(plain)}`);
  }
  try {
    return parseCanonicalJson(text);
  } catch (error) {
    throw usageError(`--${name} is not valid extended JSON: ${(error as Error).message}`);
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

function common(c: CommandContext, io: CliIo) {
  const storeDirOption = c.string('store-dir');
  const storeDir = resolveStoreDir(
    storeDirOption === undefined ? undefined : resolve(c.cwd, storeDirOption),
    c.env,
    io.home,
  );
  const scope = c.string('scope');
  const cdnUrl = c.string('cdn-url');
  return {
    storeDir,
    scope,
    options: {
      storeDir,
      env: c.env,
      ...(scope === undefined ? {} : { scope }),
      ...(cdnUrl === undefined ? {} : { cdnUrl }),
    },
  };
}

async function runFind(c: CommandContext, io: CliIo): Promise<CommandOutcome> {
  const { options } = common(c, io);
  const name = c.positionals[0]!;
  const key = jsonObject(c, 'key-json');
  const manifest = c.command === 'manifest' ? c.required('manifest') : undefined;
  const found = await findArchive(name, {
    ...options,
    ...(key === undefined ? {} : { key }),
    force: c.values['force'] === true,
  });
  if (found === undefined) {
    return { exitCode: EXIT.failed, result: { found: false, finalName: name }, text: `not found: ${name}` };
  }
  if (manifest === undefined) {
    return { result: { found: true, ...describeArchive(found) }, text: archiveText(found, 'found') };
  }
  const manifestPath = resolve(c.cwd, manifest);
  await writeManifest(manifestPath, [found]);
  const line = renderManifestLine(found);
  return {
    result: { manifest: manifestPath, line, srcUri: found.srcUri },
    text: `${line}\nSRC_URI: ${found.srcUri}`,
  };
}

async function runStore(c: CommandContext, io: CliIo): Promise<CommandOutcome> {
  const { options: shared } = common(c, io);
  const key = jsonObject(c, 'key-json');
  const metadata = jsonObject(c, 'metadata-json');
  const distfiles = c.string('distfiles');
  if (distfiles !== undefined && c.values['no-distfiles'] === true) {
    throw usageError('--distfiles and --no-distfiles exclude each other');
  }
  const options: CreateArchiveOptions = {
    ...shared,
    log: c.log.warn,
    production: c.values['production'] === true,
    ...(c.values['no-distfiles'] === true ? { distfilesDir: false } : {}),
    ...(distfiles === undefined ? {} : { distfilesDir: resolve(c.cwd, distfiles) }),
  };
  const keyed = { ...(key === undefined ? {} : { key }), ...(metadata === undefined ? {} : { metadata }) };
  const done = (status: string, archive: StoredArchive): CommandOutcome => ({
    result: { status, ...describeArchive(archive) },
    text: archiveText(archive, status),
  });
  if (c.command === 'store') {
    const file = resolve(c.cwd, c.positionals[0]!);
    return done(
      'stored',
      await storeExistingArchive(c.string('name') ?? basename(file), file, { ...options, ...keyed }),
    );
  }
  const name = c.positionals[0]!;
  const from = c.required('from');
  const top = c.string('top-directory');
  if (top !== undefined) checkTopDirectory(top);
  checkFinalName(name);
  const existing = await findArchive(name, {
    ...shared,
    ...(key === undefined ? {} : { key }),
    force: c.values['force'] === true,
  });
  if (existing !== undefined) return done('found', existing);
  // Read in place, no copy; the tree is checked whole (a symlink or special file anywhere under
  // --from is refused) before anything is written.
  const stored = await archiveDirectory(name, resolve(c.cwd, from), {
    ...options,
    ...keyed,
    ...(top === undefined ? {} : { topDirectory: top }),
  });
  return done('created', stored);
}

async function runPublish(c: CommandContext, io: CliIo): Promise<CommandOutcome> {
  const { storeDir, scope } = common(c, io);
  const store = new ArchiveStore(storeDir, scope);
  const to = c.string('to') ?? c.env['DYNAMIC_ARCHIVES_CDN'] ?? join(dirname(storeDir), 'cdn');
  const location = /^[a-z][a-z0-9+.-]*:\/\//i.test(to) ? to : resolve(c.cwd, to);
  if (!location.includes('://')) await mkdir(location, { recursive: true });
  const target: ObjectStore = openObjectStore(location, { env: c.env });
  const prefix = c.string('prefix');
  const report = await publishBlobs(store, target, {
    ...(prefix === undefined ? {} : { prefix }),
    log: c.log.warn,
  });
  return {
    exitCode: report.failed.length === 0 ? EXIT.ok : EXIT.failed,
    result: report,
    text: [
      `published to ${report.location}: ${report.uploaded.length} blob(s) uploaded, ${report.skipped.length} already there; ${report.names.uploaded.length} name(s) uploaded, ${report.names.skipped.length} already there; ${report.failed.length} failed; layout.conf ${report.layoutConf}`,
      ...report.failed.map((f) => `  failed ${f.finalName ?? f.sha512}: ${f.error}`),
    ].join('\n'),
  };
}

async function runVerify(c: CommandContext, io: CliIo): Promise<CommandOutcome> {
  const { storeDir, scope } = common(c, io);
  const report = await verifyStore(new ArchiveStore(storeDir, scope));
  return {
    exitCode: report.problems.length === 0 ? EXIT.ok : EXIT.verify,
    result: report,
    text: [
      `checked ${report.checked} blob(s): ${report.problems.length === 0 ? 'all match their records' : `${report.problems.length} problem(s)`}`,
      ...report.problems.map((p) => `  ${p.problem}: ${p.path}: ${p.detail}`),
    ].join('\n'),
  };
}

async function runGc(c: CommandContext, io: CliIo): Promise<CommandOutcome> {
  const { storeDir, scope } = common(c, io);
  const report = await collectGarbage(new ArchiveStore(storeDir, scope), {
    dryRun: c.values['dry-run'] === true,
  });
  const verb = report.dryRun ? 'would remove' : 'removed';
  return {
    result: report,
    text: [
      `${verb} ${report.removed.length} blob(s) (${report.bytes} bytes), kept ${report.kept}; ${verb} ${report.staleTemp.length} stale work file(s)`,
      ...report.removed.map((sha) => `  ${sha}`),
      ...report.unreadable.map((path) => `  unreadable record (its blobs kept): ${path}`),
    ].join('\n'),
  };
}
