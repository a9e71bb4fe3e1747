// One Node version for the whole repository: the root package.json `engines.node` (which npm enforces,
// .npmrc sets engine-strict), the node that the Hermit environment in bin/ pins, the `engines.node` of
// every workspace package and the `node-version` that workflow templates give actions/setup-node.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { parse as parseYaml } from 'yaml';
import { readWorkflowPaths } from './workflows.js';

/** Where each Node version of the repository is written, as read by {@link readNodeVersions}. */
export interface NodeVersions {
  /** The root package.json's `engines.node`, undefined when absent. */
  engines: string | undefined;
  /** Versions of the node packages pinned in bin/ (`.node-<version>.pkg`). */
  hermit: string[];
  /** `engines.node` of each workspace package.json that declares one. */
  packages: { file: string; engines: string }[];
  /** Each `node-version` given to actions/setup-node in a workflow or workflow template. */
  workflows: { file: string; key: string; nodeVersion: string }[];
}

/** A place whose Node version disagrees with the root package.json's `engines.node`. */
export interface NodeVersionFinding {
  file: string;
  key: string;
  value: string;
  message: string;
}

const WORKSPACE_DIRS = ['libs', 'apps', 'tools'];
const HERMIT_NODE = /^\.node-(.+)\.pkg$/;

/** Checks that every Node version in `versions` is the one the root `engines.node` allows. */
export function checkNodeVersions(versions: NodeVersions): NodeVersionFinding[] {
  const engines = versions.engines;
  const range = engines === undefined ? null : semver.validRange(engines);
  const floor = range === null ? null : semver.minVersion(range);
  if (engines === undefined || range === null || floor === null) {
    return [
      {
        file: 'package.json',
        key: 'engines.node',
        value: engines ?? '(absent)',
        message: 'must be a semver range of Node versions',
      },
    ];
  }
  const findings: NodeVersionFinding[] = [];
  if (versions.hermit.length !== 1) {
    findings.push({
      file: 'bin/',
      key: '.node-<version>.pkg',
      value: versions.hermit.join(', ') || '(none)',
      message: 'the Hermit environment must pin exactly one node',
    });
  }
  for (const pinned of versions.hermit) {
    if (!semver.satisfies(pinned, range)) {
      findings.push({
        file: 'bin/',
        key: `.node-${pinned}.pkg`,
        value: pinned,
        message: `the Hermit node is outside engines.node ${engines}`,
      });
    }
  }
  for (const { file, engines: declared } of versions.packages) {
    const packageFloor = semver.validRange(declared) === null ? null : semver.minVersion(declared);
    if (packageFloor === null || !semver.eq(packageFloor, floor)) {
      findings.push({
        file,
        key: 'engines.node',
        value: declared,
        message: `must start at ${floor.version}, like the root engines.node ${engines}`,
      });
    }
  }
  for (const { file, key, nodeVersion } of versions.workflows) {
    const wanted = semver.validRange(nodeVersion);
    if (wanted === null || !semver.intersects(wanted, range)) {
      findings.push({
        file,
        key,
        value: nodeVersion,
        message: `must be a Node within engines.node ${engines}`,
      });
    }
  }
  return findings;
}

/** Reads every Node version written in the repository at `root`. */
export async function readNodeVersions(root: string): Promise<NodeVersions> {
  const engines = await readEnginesNode(join(root, 'package.json'));
  const hermit = (await readdir(join(root, 'bin')).catch(() => []))
    .map((name) => HERMIT_NODE.exec(name)?.[1])
    .filter((version): version is string => version !== undefined)
    .sort();
  const packages: NodeVersions['packages'] = [];
  for (const dir of WORKSPACE_DIRS) {
    const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
    for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = `${dir}/${entry.name}/package.json`;
      const declared = await readEnginesNode(join(root, file)).catch(() => undefined);
      if (declared !== undefined) packages.push({ file, engines: declared });
    }
  }
  const workflows: NodeVersions['workflows'] = [];
  for (const file of await readWorkflowPaths(root)) {
    workflows.push(
      ...findSetupNodeVersions(file, parseYaml(await readFile(join(root, file), 'utf8')) as unknown),
    );
  }
  return { engines, hermit, packages, workflows };
}

async function readEnginesNode(file: string): Promise<string | undefined> {
  const manifest = JSON.parse(await readFile(file, 'utf8')) as { engines?: { node?: unknown } };
  const node = manifest.engines?.node;
  return typeof node === 'string' ? node : undefined;
}

function findSetupNodeVersions(file: string, workflow: unknown): NodeVersions['workflows'] {
  const found: NodeVersions['workflows'] = [];
  const jobs = isRecord(workflow) && isRecord(workflow['jobs']) ? workflow['jobs'] : {};
  for (const [job, definition] of Object.entries(jobs)) {
    const steps =
      isRecord(definition) && Array.isArray(definition['steps']) ? (definition['steps'] as unknown[]) : [];
    steps.forEach((step, index) => {
      if (
        !isRecord(step) ||
        typeof step['uses'] !== 'string' ||
        !step['uses'].startsWith('actions/setup-node@')
      )
        return;
      const nodeVersion = isRecord(step['with']) ? step['with']['node-version'] : undefined;
      if (nodeVersion !== undefined) {
        found.push({
          file,
          key: `jobs.${job}.steps[${index}].with.node-version`,
          nodeVersion: String(nodeVersion),
        });
      }
    });
  }
  return found;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
