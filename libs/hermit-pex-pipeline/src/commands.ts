/**
 * The pipeline's commands as a front end shows them: which steps each runs, the CI build matrix, and
 * the reports rendered as text, as the `--json` action list and as one exit code. Pure.
 */
import { EXIT, exitCodeForAll } from '@packyard/core';
import { formatPlatform, type Platform } from '@packyard/pex-builder';
import { STEPS, type PackageReport, type StepName } from './types.js';

/** The commands that run steps: every step alone, and these groups. */
export const COMMAND_GROUPS = ['run', 'plan', 'prepare', 'build', 'finalise', 'runners'] as const;

/** The steps a command runs: a group's, or `state` then the named step. */
export function stepsForCommand(command: string): StepName[] {
  switch (command) {
    case 'run':
      return [...STEPS];
    case 'plan':
    case 'runners':
      return ['state'];
    case 'prepare':
      return ['state', 'requirements', 'releases'];
    case 'build':
      return ['state', 'requirements', 'releases', 'pex'];
    case 'finalise':
      return ['state', 'publish', 'manifest'];
    default:
      return ['state', command as StepName];
  }
}

/** The GitHub-hosted runner label for each platform. */
export const RUNNER_LABELS: Readonly<Record<string, string>> = {
  'linux-amd64': 'ubuntu-24.04',
  'linux-arm64': 'ubuntu-24.04-arm',
  'darwin-amd64': 'macos-15-intel',
  'darwin-arm64': 'macos-15',
};

/**
 * The CI build matrix: this host's runner builds everything it can (auto); a platform's own runner is
 * added only when some version cannot be cross-built for it (native).
 */
export function planRunnerMatrix(
  reports: readonly PackageReport[],
  host: Platform,
): { include: Array<{ runner: string; platforms: string }> } {
  const elsewhere = new Set<string>();
  for (const report of reports) {
    for (const split of report.splits.values()) {
      for (const platform of split.elsewhere) elsewhere.add(formatPlatform(platform));
    }
  }
  const hostName = formatPlatform(host);
  elsewhere.delete(hostName);
  return {
    include: [
      { runner: RUNNER_LABELS[hostName]!, platforms: 'auto' },
      ...[...elsewhere].sort().map((name) => ({ runner: RUNNER_LABELS[name]!, platforms: 'native' })),
    ],
  };
}

/**
 * The `--json` summary: per version, the plan's actions (`plan`) or the actions this run carried out,
 * in order. For a version that did not fail, `run`'s list is the plan's, minus the status entries
 * (isPerformedAction).
 */
export function renderActions(
  reports: readonly PackageReport[],
  withPlan: boolean,
): Array<{ package: string; version: string; actions: string[]; note?: string; error?: string }> {
  return reports.flatMap((report) =>
    report.plan.map((plan) => {
      const outcome = report.versions.find((v) => v.version === plan.version);
      return {
        package: report.name,
        version: plan.version,
        actions: withPlan ? [...plan.actions] : [...(outcome?.performed ?? [])],
        ...(plan.note === undefined ? {} : { note: plan.note }),
        ...(outcome?.error ? { error: outcome.error.message } : {}),
      };
    }),
  );
}

/** A short table: one line per version, then one line per failure. */
export function renderSummary(reports: readonly PackageReport[], withPlan: boolean): string {
  const lines: string[] = [];
  for (const report of reports) {
    if (report.error && report.versions.length === 0) {
      lines.push(`${report.name}: FAILED: ${report.error.format()}`);
      continue;
    }
    for (const plan of report.plan) {
      const outcome = report.versions.find((v) => v.version === plan.version);
      const status = outcome?.error
        ? `FAILED: ${outcome.error.message.split('\n')[0]}`
        : outcome?.published
          ? 'published'
          : `pending${outcome?.lacks.length ? ` (lacks ${outcome.lacks.join(', ')})` : ''}`;
      const planned = `${plan.actions.join(', ')}${plan.note === undefined ? '' : ` (${plan.note})`}`;
      lines.push(`${report.name} ${plan.version}: ${withPlan ? planned : status}`);
    }
    if (report.error) lines.push(`${report.name}: FAILED: ${report.error.format()}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/**
 * One exit code for a command's reports: config when every failure is a config error, else failed
 * (core's rule); `finalise` with a version still pending (nothing failed) exits pending.
 */
export function exitCodeForReports(reports: readonly PackageReport[], command?: string): number {
  const code = exitCodeForAll(
    reports.flatMap((r) => [r.error, ...r.versions.map((v) => v.error)]).filter((e) => e !== undefined),
  );
  const pending = reports.some((r) => r.versions.some((v) => !v.published && !v.error));
  return code === EXIT.ok && command === 'finalise' && pending ? EXIT.pending : code;
}
