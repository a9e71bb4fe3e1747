#!/usr/bin/env node
// Prints, as JSON, what Nx's project graph says about every workspace project: its root, tags,
// package name, the projects its package.json `dependencies` name, and per file the projects that
// file depends on (Nx's file map, the data behind `nx graph`). Its own process, like
// lint-layers.mjs: Nx loads its plugins through Node's loader.
//   app-deps.mjs <root>   prints {"projects": {"<name>": {"root", "tags", "packageName", "runtime": [project...], "files": {"<file>": [project...]}}}}
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProjectGraphAsync } from '@nx/devkit';
// Nx keeps the per-file dependencies it computed for the graph in its file-map cache.
import { readFileMapCache } from 'nx/src/project-graph/nx-deps-cache.js';

const root = process.argv[2];
process.chdir(root);
const graph = await createProjectGraphAsync({ exitOnError: true });
const fileMap = readFileMapCache()?.fileMap.projectFileMap;
if (fileMap === undefined) throw new Error('Nx wrote no file map (.nx/workspace-data/file-map.json)');
const target = (dep) => (typeof dep === 'string' ? dep : dep.length === 2 ? dep[0] : dep[1]);
const manifestOf = (dir) => {
  try {
    return JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  } catch {
    return {};
  }
};
const byPackage = new Map();
for (const [name, node] of Object.entries(graph.nodes)) {
  const packageName = manifestOf(node.data.root).name;
  if (packageName !== undefined) byPackage.set(packageName, name);
}
const projects = {};
for (const [name, node] of Object.entries(graph.nodes)) {
  const manifest = manifestOf(node.data.root);
  const files = {};
  for (const file of fileMap[name] ?? []) {
    const deps = (file.deps ?? []).map(target).filter((dep) => dep in graph.nodes && dep !== name);
    if (deps.length > 0) files[file.file] = [...new Set(deps)].sort();
  }
  projects[name] = {
    root: node.data.root,
    tags: node.data.tags ?? [],
    packageName: manifest.name ?? null,
    runtime: Object.keys(manifest.dependencies ?? {})
      .filter((dep) => byPackage.has(dep))
      .map((dep) => byPackage.get(dep))
      .sort(),
    files,
  };
}
process.stdout.write(`${JSON.stringify({ projects })}\n`);
