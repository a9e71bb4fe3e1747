import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The rule that keeps the layers' direction (configured in the root eslint.config.js). */
export const LAYER_RULE = '@nx/enforce-module-boundaries';

/** One import the layer rule refuses (or a file ESLint could not parse, so could not check). */
export interface LayerViolation {
  /** The file, relative to the workspace root. */
  file: string;
  line: number;
  message: string;
}

/** Code to lint as if it stood at `filePath` (relative to the root); nothing is written. */
export interface LayerProbe {
  code: string;
  filePath: string;
}

/** What `lintLayers` lints: files by pattern, and probes. */
export interface LintLayersInput {
  /** Patterns relative to the root, such as PROJECT_CODE. */
  files?: readonly string[];
  probes?: readonly LayerProbe[];
}

/** What `lintLayers` found: in the files, and per probe in the probes' order. */
export interface LintLayersResult {
  files: LayerViolation[];
  probes: LayerViolation[][];
}

/** Every project's code, as the root config's layer rule covers it. */
export const PROJECT_CODE: readonly string[] = ['libs', 'apps', 'tools'];

const RUNNER = fileURLToPath(new URL('../bin/lint-layers.mjs', import.meta.url));

/**
 * Runs the layer rule on the workspace at `root`: ESLint's Node API with the root config, in one
 * child process (bin/lint-layers.mjs), reporting only that rule's messages.
 */
export async function lintLayers(root: string, input: LintLayersInput): Promise<LintLayersResult> {
  const { stdout } = await execa(process.execPath, [RUNNER, root], {
    input: JSON.stringify({ files: input.files ?? [], texts: input.probes ?? [] }),
    env: { NX_DAEMON: 'false' },
  });
  const output = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    files: LayerViolation[];
    texts: LayerViolation[][];
  };
  return { files: output.files, probes: output.texts };
}

export {
  readProjectGraph,
  checkAppDependencies,
  APP_MAY_DEPEND_ON,
  type GraphProject,
  type AppDependencyViolation,
} from './graph.js';
