import { EXIT, type CommandOutcome } from '@packyard/core';
import {
  describeDisagreement,
  type ReleaseCommand,
  type ReleaseOutcome,
  type ReleasePlan,
  type ReleaseVersion,
  type VerifyResult,
} from '@packyard/wheel-release';

// Each command's result: the `--json` document, its text for people, and the exit code. Pure.

function describeVersion(version: ReleaseVersion): string {
  return version.pep440 === version.cargo ? version.pep440 : `${version.pep440} (Cargo ${version.cargo})`;
}

/** verify's result document: the file names of the set, what is wrong, and which checks ran. */
function verifyDocument(result: VerifyResult): { files: string[]; problems: unknown[]; checks: string[] } {
  return { files: result.files.map((f) => f.name), problems: result.problems, checks: result.checks };
}

/** Every file verified, or every problem found. */
export function renderProblems(result: VerifyResult): string {
  return result.problems.length === 0
    ? [`verified ${result.files.length} files:`, ...result.files.map((f) => `  ${f.name}`)].join('\n')
    : [
        `${result.problems.length} problem(s) in ${result.files.length} files; nothing may be published:`,
        ...result.problems.map((p) => `  ${p.file}: ${p.check}: ${p.message}`),
      ].join('\n');
}

type Renderer = (plan: ReleasePlan, outcome: ReleaseOutcome) => CommandOutcome;

const RENDERERS: Readonly<Record<ReleaseCommand, Renderer>> = {
  plan: ({ config, disagreements, builds }) => {
    const { wheels, sdist } = config;
    const lines = [
      `version ${describeVersion(config.version)}: ${config.places.length} places, ${
        disagreements.length === 0 ? 'all agree' : `${disagreements.length} disagree`
      }`,
      ...disagreements.map(
        (d) => `  ${d.file}: ${d.key} is ${JSON.stringify(d.found)}, expected ${JSON.stringify(d.expected)}`,
      ),
      ...(wheels === undefined
        ? ['no wheels: section']
        : [
            `wheels of ${wheels.project} (binaries ${wheels.binaries.join(', ')}):`,
            ...builds.map(
              (b) =>
                `  ${b.platform.padEnd(13)} ${b.how.padEnd(6)} on ${b.runner} (${b.target})${b.how === 'native' ? `: ${b.reason}` : ''}`,
            ),
          ]),
      sdist === undefined
        ? 'no sdist: section'
        : `sdist of ${sdist.project} (install test: ${sdist.command} --version)`,
    ];
    return {
      result: {
        version: config.version,
        places: config.places.length,
        disagreements,
        wheels: wheels === undefined ? null : { ...wheels, builds },
        sdist: sdist ?? null,
      },
      text: lines.join('\n'),
    };
  },
  bump: ({ from, version: to }, { changed }) => ({
    result: { from: from!.pep440, to: to.pep440, cargo: to.cargo, changed },
    text: [
      `bumped ${from!.pep440} -> ${to.pep440}${to.cargo === to.pep440 ? '' : ` (Cargo ${to.cargo})`}`,
      ...changed.map((f) => `  wrote ${f}`),
    ].join('\n'),
  }),
  sync: ({ version }, { changed }) => ({
    result: { version: version.pep440, changed },
    text:
      changed.length === 0
        ? `every place already has ${describeVersion(version)}`
        : [`wrote ${describeVersion(version)} into:`, ...changed.map((f) => `  ${f}`)].join('\n'),
  }),
  check: ({ config, version, disagreements, request: { tag } }) => {
    const ok = disagreements.length === 0;
    const hint = disagreements.every((d) => d.file === 'tag')
      ? '  hint: tag the commit whose release.yaml has this version, or bump to the tag'
      : '  hint: run `wheel-release sync` to write the version everywhere';
    return {
      result: { ok, version: version.pep440, tag: tag ?? null, places: config.places.length, disagreements },
      text: ok
        ? `${describeVersion(version)}: ${config.places.length} places agree${tag === undefined ? '' : `, and the tag ${tag}`}`
        : [
            `version disagrees with release.yaml (${describeVersion(version)}):`,
            ...disagreements.map((d) => `  ${describeDisagreement(d)}`),
            hint,
          ].join('\n'),
      exitCode: ok ? EXIT.ok : EXIT.verify,
    };
  },
  build: ({ version, gitSha, request: { out } }, { wheels, sdist }) => ({
    result: { version: version.pep440, gitSha, out, wheels, sdist: sdist ?? null },
    text: [
      `built ${describeVersion(version)} at ${gitSha!.slice(0, 8)} into ${out}:`,
      ...[...wheels, ...(sdist ? [sdist] : [])].map((f) => `  ${f}`),
    ].join('\n'),
    summary: `${wheels.length} wheel(s)${sdist ? ' and the sdist' : ''} in ${out}`,
  }),
  // The result is the one document (with --json); its problems are the failure, not a second report.
  verify: (_plan, { verified }) => ({
    result: verifyDocument(verified!),
    text: renderProblems(verified!),
    exitCode: verified!.problems.length === 0 ? EXIT.ok : EXIT.verify,
  }),
  publish: ({ request: { dryRun = false } }, { published }) => {
    const result = published!;
    return {
      // dryRun first, as the document always had it.
      result: Object.assign({ dryRun }, result),
      text: [
        `${dryRun ? 'dry run: would upload' : 'uploaded'} ${result.uploaded.length}, already there ${result.skipped.length}, digests checked ${result.checked.length}`,
        ...result.uploaded.map((f) => `  ${dryRun ? 'would upload' : 'uploaded'} ${f}`),
        ...result.skipped.map((f) => `  already there ${f}`),
      ].join('\n'),
    };
  },
  runners: ({ matrix }) => ({
    result: matrix,
    text: matrix!.include
      .map((e) => `${e.runner.padEnd(18)} ${e.how.padEnd(6)} ${e.platforms}${e.sdist ? ' + sdist' : ''}`)
      .join('\n'),
  }),
};

/** A command's result from its plan and what the steps did. Pure. */
export function renderRelease(plan: ReleasePlan, outcome: ReleaseOutcome): CommandOutcome {
  return { exitCode: EXIT.ok, ...RENDERERS[plan.request.command](plan, outcome) };
}
