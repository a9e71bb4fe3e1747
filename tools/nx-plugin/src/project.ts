import type { TargetConfiguration } from '@nx/devkit';

type Input = NonNullable<TargetConfiguration['inputs']>[number];

/** The Nx project that owns the CLI every package target runs. */
export const CLI_PROJECT = 'hermit-pex';

/** The tag every inferred package project carries, for `--projects=tag:hermit-package`. */
export const PACKAGE_TAG = 'hermit-package';

/**
 * The package targets, in pipeline order; each is the hermit-pex command of the same name except
 * `release` (`run`). None is named `build`: `nx run-many -t build` must not publish, and the one
 * publishing job for every package is `pex-builder:build`.
 */
export const PACKAGE_TARGETS = ['prepare', 'pex', 'finalise', 'release'] as const;

export type PackageTargetName = (typeof PACKAGE_TARGETS)[number];

/** What one `packages/<name>/config.yaml` becomes in the Nx graph. */
export interface PackageProject {
  name: string;
  root: string;
  tags: string[];
  implicitDependencies: string[];
  targets: Record<PackageTargetName, TargetConfiguration>;
}

// Every target runs the pipeline's `state` step first, which asks the package index for the
// package's versions: whatever picks the index (pip's and uv's settings, as libs/pypi-client reads
// them) changes what a target does.
const INDEX_ENV: Input[] = [
  { env: 'PIP_INDEX_URL' },
  { env: 'PIP_CONFIG_FILE' },
  { env: 'UV_DEFAULT_INDEX' },
  { env: 'UV_INDEX_URL' },
];
// Archive mtimes (libs/archive), so the bytes of every PEX tarball. https://reproducible-builds.org/specs/source-date-epoch/
const SOURCE_DATE_EPOCH: Input = { env: 'SOURCE_DATE_EPOCH' };
// `--build-platforms auto` builds this host natively and cross-builds the rest: what gets built, and
// how, depends on the machine.
const HOST_PLATFORM: Input = { runtime: `node -p "process.platform+'-'+process.arch"` };
// The compiled CLI and every library it links: the outputs of hermit-pex:compile and its ^compile.
const COMPILED_CLI: Input = { dependentTasksOutputFiles: '**/*.js', transitive: true };
const COMPLETE_PLATFORMS = '{workspaceRoot}/libs/pex-builder/platforms/*.json';
const MANIFEST_TEMPLATE = '{workspaceRoot}/templates/hermit-manifest.hcl.hbs';
const CONFIG = '{projectRoot}/config.yaml';
// One lock per version, packages/<name>/<version>/requirements.{in,txt} (apps/hermit-pex pipeline.ts).
const LOCKS = ['{projectRoot}/*/requirements.in', '{projectRoot}/*/requirements.txt'];

/**
 * The Nx project for one package: four run-commands targets over the hermit-pex CLI. None is
 * cached: each reads the package index and the release store, which change without any input
 * changing (a new upstream version, an asset another runner uploaded), and with `--repo` each
 * publishes, which a cache hit would silently skip. None runs beside another task (`parallelism:
 * false`): with `--repo` they share the GitHub listing cache in `.packyard/cache` and GitHub asks
 * for mutating requests to be made serially. Pure.
 */
export function planPackageProject(name: string, root: string): PackageProject {
  const outputs = {
    state: `{projectRoot}/state.yaml`,
    pex: `{workspaceRoot}/dist/pex/${name}`,
    releases: `{workspaceRoot}/dist/releases/${name}-v*`,
    manifest: `{workspaceRoot}/dist/hermit/${name}.hcl`,
  };
  const target = (
    command: string,
    description: string,
    inputs: Input[],
    targetOutputs: string[],
  ): TargetConfiguration => ({
    executor: 'nx:run-commands',
    dependsOn: [{ projects: [CLI_PROJECT], target: 'compile' }],
    cache: false,
    parallelism: false,
    inputs: [CONFIG, ...LOCKS, COMPILED_CLI, ...inputs],
    outputs: targetOutputs,
    options: { command: `node apps/hermit-pex/dist/main.js ${command} ${name}`, cwd: '{workspaceRoot}' },
    metadata: { description },
  });
  return {
    name,
    root,
    tags: [PACKAGE_TAG],
    implicitDependencies: [CLI_PROJECT],
    targets: {
      prepare: target(
        'prepare',
        'Refresh state.yaml, lock new versions and create their draft releases',
        INDEX_ENV,
        [outputs.state, ...LOCKS, outputs.releases],
      ),
      pex: target(
        'pex',
        "Build this runner's PEX tarballs for unfinished releases and upload them",
        [COMPLETE_PLATFORMS, ...INDEX_ENV, SOURCE_DATE_EPOCH, HOST_PLATFORM],
        [outputs.state, outputs.pex, outputs.releases],
      ),
      finalise: target(
        'finalise',
        'Publish complete releases and write the Hermit manifest',
        [MANIFEST_TEMPLATE, ...INDEX_ENV],
        [outputs.state, outputs.pex, outputs.releases, outputs.manifest],
      ),
      release: target(
        'run',
        'Every step for this package on this machine (hermit-pex run)',
        [COMPLETE_PLATFORMS, MANIFEST_TEMPLATE, ...INDEX_ENV, SOURCE_DATE_EPOCH, HOST_PLATFORM],
        [outputs.state, ...LOCKS, outputs.pex, outputs.releases, outputs.manifest],
      ),
    },
  };
}
