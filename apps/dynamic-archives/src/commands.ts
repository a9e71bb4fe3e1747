import { basename, resolve } from 'node:path';
import {
  EXIT,
  createStepEventRenderer,
  usageError,
  type CommandContext,
  type CommandOutcome,
} from '@packyard/core';
import {
  ArchiveStore,
  findArchive,
  openPublishTarget,
  parseCanonicalJson,
  planCreate,
  readGcPlan,
  readPublishPlan,
  renderManifestLine,
  resolveCdnUrl,
  resolveStoreDir,
  runCreate,
  runGc,
  runPublish,
  storeExistingArchive,
  verifyStore,
  writeManifest,
  type CreateArchiveOptions,
  type KeyObject,
  type StoreRunOptions,
} from '@packyard/archive-store';
import { archiveResult, archiveText, gcText, publishText, verifyText } from './render.js';

/** What the commands need from the process beyond the command line: the home directory. */
export interface Home {
  home?: string;
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

/** The store, scope and CDN URL the options and environment select. */
function storeOptions(c: CommandContext, io: Home) {
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
    env: c.env,
    ...(scope === undefined ? {} : { scope }),
    ...(cdnUrl === undefined ? {} : { cdnUrl }),
  };
}

/** `[n/N]` over the steps and over the blobs, through the app's one reporter. */
function runOptions(c: CommandContext): StoreRunOptions {
  return { onEvent: createStepEventRenderer(c.progress), progress: c.progress, log: c.log.warn };
}

/** `find` and `manifest`: one record read; `manifest` adds the DIST line to a Manifest. */
export async function runFind(c: CommandContext, io: Home): Promise<CommandOutcome> {
  const options = storeOptions(c, io);
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
    return { result: { found: true, ...archiveResult(found) }, text: archiveText(found, 'found') };
  }
  const manifestPath = resolve(c.cwd, manifest);
  await writeManifest(manifestPath, [found]);
  const line = renderManifestLine(found);
  return {
    result: { manifest: manifestPath, line, srcUri: found.srcUri },
    text: `${line}\nSRC_URI: ${found.srcUri}`,
    summary: `${name}: DIST line written to ${manifestPath}`,
  };
}

/** `create` and `store`: what goes into the record, and where the Portage copy goes. */
function storing(c: CommandContext, io: Home) {
  const shared = storeOptions(c, io);
  const key = jsonObject(c, 'key-json');
  const metadata = jsonObject(c, 'metadata-json');
  const distfiles = c.string('distfiles');
  const noDistfiles = c.values['no-distfiles'] === true;
  if (distfiles !== undefined && noDistfiles) {
    throw usageError('--distfiles and --no-distfiles exclude each other');
  }
  const options: CreateArchiveOptions = {
    ...shared,
    log: c.log.warn,
    production: c.values['production'] === true,
    ...(noDistfiles ? { distfilesDir: false } : {}),
    ...(distfiles === undefined ? {} : { distfilesDir: resolve(c.cwd, distfiles) }),
  };
  return { options, key, metadata };
}

function stored(status: string, archive: Parameters<typeof archiveResult>[0]): CommandOutcome {
  return {
    result: { status, ...archiveResult(archive) },
    text: archiveText(archive, status),
    summary: `${archive.finalName} ${status}: ${archive.blobPath}`,
  };
}

/** `store`: an existing archive file, as it is. */
export async function runStore(c: CommandContext, io: Home): Promise<CommandOutcome> {
  const { options, key, metadata } = storing(c, io);
  const file = resolve(c.cwd, c.positionals[0]!);
  const archive = await storeExistingArchive(c.string('name') ?? basename(file), file, {
    ...options,
    ...(key === undefined ? {} : { key }),
    ...(metadata === undefined ? {} : { metadata }),
  });
  return stored('stored', archive);
}

/** `create`: plan (every name, the key and metadata checked), then find → walk → write → record → distfiles. */
export async function runCreateCommand(c: CommandContext, io: Home): Promise<CommandOutcome> {
  const { options, key, metadata } = storing(c, io);
  const from = c.required('from');
  const top = c.string('top-directory');
  const plan = planCreate({
    ...options,
    finalName: c.positionals[0]!,
    from: resolve(c.cwd, from),
    ...(top === undefined ? {} : { topDirectory: top }),
    ...(key === undefined ? {} : { key }),
    ...(metadata === undefined ? {} : { metadata }),
    force: c.values['force'] === true,
    storeDir: options.storeDir!,
    cdnUrl: resolveCdnUrl(options),
  });
  const { status, archive } = await runCreate(plan, runOptions(c));
  return stored(status, archive);
}

/** `publish`: open the CDN store, plan every object, then content hash → final names → layout.conf. */
export async function runPublishCommand(c: CommandContext, io: Home): Promise<CommandOutcome> {
  const { storeDir, scope } = storeOptions(c, io);
  const store = new ArchiveStore(storeDir, scope);
  const to = c.string('to');
  const target = await openPublishTarget({
    ...(to === undefined ? {} : { to }),
    storeDir,
    cwd: c.cwd,
    env: c.env,
  });
  const prefix = c.string('prefix');
  const plan = await readPublishPlan(store, prefix === undefined ? {} : { prefix });
  const report = await runPublish(store, target, plan, runOptions(c));
  return {
    exitCode: report.failed.length === 0 ? EXIT.ok : EXIT.failed,
    result: report,
    text: publishText(report),
    summary: `published to ${report.location}`,
  };
}

/** `verify`: re-hash every blob, `[n/N]` over them. */
export async function runVerifyCommand(c: CommandContext, io: Home): Promise<CommandOutcome> {
  const { storeDir, scope } = storeOptions(c, io);
  const report = await verifyStore(new ArchiveStore(storeDir, scope), runOptions(c));
  return {
    exitCode: report.problems.length === 0 ? EXIT.ok : EXIT.verify,
    result: report,
    text: verifyText(report),
  };
}

/** `gc`: plan what no record points at, then remove it (nothing with --dry-run). */
export async function runGcCommand(c: CommandContext, io: Home): Promise<CommandOutcome> {
  const { storeDir, scope } = storeOptions(c, io);
  const store = new ArchiveStore(storeDir, scope);
  const plan = await readGcPlan(store, { dryRun: c.values['dry-run'] === true });
  const report = await runGc(store, plan, runOptions(c));
  return { result: report, text: gcText(report) };
}
