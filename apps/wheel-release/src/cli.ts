import { resolve } from 'node:path';
import {
  EXIT,
  createStepEventRenderer,
  runCli,
  usageError,
  type CliApp,
  type CliIo as CoreCliIo,
  type CommandContext,
  type CommandDef,
} from '@packyard/core';
import {
  defaultReleaseServices,
  plan,
  runRelease,
  type BumpKind,
  type PlanRequest,
  type PublishDestination,
  type ReleaseCommand,
  type ReleaseServices,
} from '@packyard/wheel-release';
import { COMMANDS } from './commands.js';
import { renderRelease } from './render.js';

/** The process around `main`: output, environment, and the release services tests replace. */
export interface CliIo extends CoreCliIo {
  services?: Partial<ReleaseServices>;
}

/** The wheel-release command line. */
export function wheelReleaseApp(io: CliIo): CliApp {
  const commands: Record<string, CommandDef> = {};
  for (const [name, def] of Object.entries(COMMANDS)) {
    commands[name] = { ...def, run: (c) => runCommand(name as ReleaseCommand, c, io) };
  }
  return {
    name: 'wheel-release',
    packageJson: new URL('../package.json', import.meta.url),
    description:
      'The release of a Rust binary as platform wheels (maturin, bindings = "bin") plus a pure-Python sdist\nthat pins them, with one version kept in release.yaml.',
    commands,
    exitCodes: [
      [EXIT.failed, 'failure not listed below'],
      [EXIT.auth, 'publish: no credentials, or the index refused them (401/403)'],
      [
        EXIT.verify,
        "verify: the release's files fail verification; check, build: a place or the tag disagrees",
      ],
      [EXIT.config, 'release.yaml or a file it names is invalid or missing'],
      [EXIT.conflict, "bump on a dirty work tree; the index holds other bytes under a file's name"],
      [EXIT.tool, 'build: maturin, the sdist build or a tool it needs failed'],
      [EXIT.store, 'publish: the index refused an upload or could not be reached'],
      [EXIT.invalidFile, 'a file in --out is not a valid wheel or sdist'],
    ],
  };
}

/** The whole command line: parse, wire, run, report; returns the exit code. */
export function main(argv: readonly string[], io: CliIo): Promise<number> {
  return runCli(wheelReleaseApp(io), argv, io);
}

/** Options → plan request → plan → steps → result. */
async function runCommand(command: ReleaseCommand, c: CommandContext, io: CliIo) {
  const services = { ...defaultReleaseServices, ...io.services };
  const planned = await plan(planRequest(command, c), services);
  for (const note of planned.notes) c.log.info(note);
  const outcome = await runRelease(planned, {
    services,
    log: c.log.info,
    progress: c.progress,
    onEvent: createStepEventRenderer(c.progress),
    env: c.env,
  });
  return renderRelease(planned, outcome);
}

/** The tag a GitHub Actions run is for (GITHUB_REF_TYPE/GITHUB_REF_NAME, else GITHUB_REF), if any. */
export function tagFromEnvironment(env: Record<string, string | undefined>): string | undefined {
  if (env['GITHUB_REF_TYPE'] === 'tag' && env['GITHUB_REF_NAME']) return env['GITHUB_REF_NAME'];
  const ref = env['GITHUB_REF'];
  return ref?.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined;
}

const BUMP_KINDS: readonly BumpKind[] = ['patch', 'minor', 'major', 'pre'];

/** The plan request a command line asks for; usage errors for options that contradict each other. */
export function planRequest(command: ReleaseCommand, c: CommandContext): PlanRequest {
  const path = (option: string, fallback: string) => resolve(c.cwd, c.string(option) ?? fallback);
  const request: PlanRequest = { command, dir: path('dir', '.'), out: path('out', 'dist/wheel-release') };
  const flag = (option: string) => c.values[option] === true;
  switch (command) {
    case 'check': {
      const tag = c.string('tag') ?? tagFromEnvironment(c.env);
      return tag === undefined ? request : { ...request, tag };
    }
    case 'bump': {
      const kinds = BUMP_KINDS.filter(flag);
      if (kinds.length !== 1) {
        throw usageError(
          kinds.length === 0
            ? 'bump needs one of --patch, --minor, --major, --pre'
            : `bump takes one of --patch, --minor, --major, --pre, not ${kinds.map((k) => `--${k}`).join(' and ')}`,
        );
      }
      return { ...request, bump: kinds[0]! };
    }
    case 'build': {
      const platforms = c.string('platforms');
      return {
        ...request,
        ...gitShaOptions(c),
        sdist: !flag('no-sdist'),
        ...(platforms === undefined
          ? {}
          : { platforms: [...new Set(platforms.split(',').map((p) => p.trim()))] }),
      };
    }
    case 'verify':
      return { ...request, ...gitShaOptions(c), installTest: !flag('no-install-test') };
    case 'publish':
      return { ...request, destination: destination(c), dryRun: flag('dry-run') };
    default:
      return request;
  }
}

function gitShaOptions(c: CommandContext): Pick<PlanRequest, 'gitSha' | 'allowDirty'> {
  const given = c.string('git-sha') ?? c.env['GITHUB_SHA'];
  if (given !== undefined && !/^[0-9a-f]{8,40}$/.test(given)) {
    throw usageError(`--git-sha must be 8 to 40 lowercase hex digits, not ${JSON.stringify(given)}`);
  }
  return { ...(given === undefined ? {} : { gitSha: given }), allowDirty: c.values['allow-dirty'] === true };
}

function destination(c: CommandContext): PublishDestination {
  const repositoryUrl = c.string('repository-url');
  const indexUrl = c.string('index-url');
  const repositoryDir = c.string('repository-dir');
  if (repositoryDir !== undefined) {
    if (repositoryUrl !== undefined || indexUrl !== undefined) {
      throw usageError(
        '--repository-dir publishes to a directory: give it without --repository-url and --index-url',
      );
    }
    return { directory: resolve(c.cwd, repositoryDir) };
  }
  return {
    ...(repositoryUrl === undefined ? {} : { repositoryUrl }),
    ...(indexUrl === undefined ? {} : { indexUrl }),
  };
}
