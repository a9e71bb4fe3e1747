import type { GcReport, PublishReport, StoredArchive, VerifyReport } from '@packyard/archive-store';

/** A stored archive as the `--json` result shows it. Pure. */
export function archiveResult(archive: StoredArchive): Record<string, unknown> {
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

/** A stored archive for people. Pure. */
export function archiveText(archive: StoredArchive, status: string): string {
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

/** What `publish` did, for people. Pure. */
export function publishText(report: PublishReport): string {
  return [
    `published to ${report.location}: ${report.uploaded.length} blob(s) uploaded, ${report.skipped.length} already there; ${report.names.uploaded.length} name(s) uploaded, ${report.names.skipped.length} already there; ${report.failed.length} failed; layout.conf ${report.layoutConf}`,
    ...report.failed.map((f) => `  failed ${f.finalName ?? f.sha512}: ${f.error}`),
  ].join('\n');
}

/** What `verify` found, for people. Pure. */
export function verifyText(report: VerifyReport): string {
  return [
    `checked ${report.checked} blob(s): ${report.problems.length === 0 ? 'all match their records' : `${report.problems.length} problem(s)`}`,
    ...report.problems.map((p) => `  ${p.problem}: ${p.path}: ${p.detail}`),
  ].join('\n');
}

/** What `gc` removed (or would), for people. Pure. */
export function gcText(report: GcReport): string {
  const verb = report.dryRun ? 'would remove' : 'removed';
  return [
    `${verb} ${report.removed.length} blob(s) (${report.bytes} bytes), kept ${report.kept}; ${verb} ${report.staleTemp.length} stale work file(s)`,
    ...report.removed.map((sha) => `  ${sha}`),
    ...report.unreadable.map((path) => `  unreadable record (its blobs kept): ${path}`),
  ].join('\n');
}
