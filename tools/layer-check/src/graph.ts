import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** One workspace project as Nx's project graph sees it. */
export interface GraphProject {
  /** Its folder, relative to the workspace root. */
  root: string;
  tags: string[];
  packageName: string | null;
  /** The projects its package.json `dependencies` name: what an installed copy pulls in. */
  runtime: string[];
  /** Per file (relative to the workspace root), the projects it depends on. */
  files: Record<string, string[]>;
}

/** An edge the app rule refuses: which app, from where (a file, or `package.json#dependencies`), to what. */
export interface AppDependencyViolation {
  app: string;
  from: string;
  dependency: string;
  /** The dependency's `layer:*` tag, or undefined when it has none. */
  layer: string | undefined;
}

/** The layers an app's shipped code (src/ and package.json `dependencies`) may depend on. */
export const APP_MAY_DEPEND_ON: readonly string[] = ['layer:core', 'layer:pipeline'];

const RUNNER = fileURLToPath(new URL('../bin/app-deps.mjs', import.meta.url));

/** Reads every project of the workspace at `root` from Nx's project graph (bin/app-deps.mjs, its own process). */
export async function readProjectGraph(root: string): Promise<Record<string, GraphProject>> {
  const { stdout } = await execa(process.execPath, [RUNNER, root], { env: { NX_DAEMON: 'false' } });
  return (JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { projects: Record<string, GraphProject> })
    .projects;
}

const layerOf = (project: GraphProject | undefined) => project?.tags.find((tag) => tag.startsWith('layer:'));

/**
 * Every edge by which an app's shipped code reaches past the pipelines: from a file under the app's
 * `src/`, or from its package.json `dependencies`, to a project that is not `layer:core` or
 * `layer:pipeline`. Tests, farms and scripts beside `src/` may also use tools (test servers,
 * helpers) and read outputs back with formats; they are not shipped. Pure.
 */
export function checkAppDependencies(
  projects: Readonly<Record<string, GraphProject>>,
): AppDependencyViolation[] {
  const violations: AppDependencyViolation[] = [];
  for (const [app, project] of Object.entries(projects)) {
    if (layerOf(project) !== 'layer:app') continue;
    const check = (from: string, dependency: string) => {
      const layer = layerOf(projects[dependency]);
      if (layer === undefined || !APP_MAY_DEPEND_ON.includes(layer)) {
        violations.push({ app, from, dependency, layer });
      }
    };
    for (const dependency of project.runtime) check(`${project.root}/package.json#dependencies`, dependency);
    for (const [file, dependencies] of Object.entries(project.files)) {
      if (!file.startsWith(`${project.root}/src/`)) continue;
      for (const dependency of dependencies) check(file, dependency);
    }
  }
  return violations;
}
