import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `--version` prints: the package's version and the commit it was built from. */
export interface BuildVersion {
  version: string;
  /** 12 hex digits, or `unknown` when neither the package nor a git checkout says. */
  commit: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The commit HEAD points at in the checkout holding `start`, read from .git's files (no git run). */
export function readGitHead(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const dotGit = join(dir, '.git');
    const pointer = readText(dotGit);
    // A worktree's .git is a file: `gitdir: <path>`; its refs live in the common directory.
    const gitDir = pointer?.startsWith('gitdir: ')
      ? resolve(dir, pointer.slice('gitdir: '.length).trim())
      : readText(join(dotGit, 'HEAD')) !== undefined
        ? dotGit
        : undefined;
    if (gitDir !== undefined) return resolveHead(gitDir);
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function resolveHead(gitDir: string): string | undefined {
  const head = readText(join(gitDir, 'HEAD'))?.trim();
  if (head === undefined) return undefined;
  if (/^[0-9a-f]{40,64}$/.test(head)) return head;
  const ref = /^ref: (\S+)$/.exec(head)?.[1];
  if (ref === undefined) return undefined;
  const common = readText(join(gitDir, 'commondir'))?.trim();
  const commonDir = common === undefined ? gitDir : resolve(gitDir, common);
  for (const dir of [gitDir, commonDir]) {
    const loose = readText(join(dir, ref))?.trim();
    if (loose !== undefined && /^[0-9a-f]{40,64}$/.test(loose)) return loose;
  }
  const packed = readText(join(commonDir, 'packed-refs')) ?? '';
  for (const line of packed.split('\n')) {
    const [sha, name] = line.split(' ');
    if (name === ref && sha !== undefined && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
  }
  return undefined;
}

/**
 * The version of the package whose package.json is at `packageJson` (a path or file: URL): its
 * `version`, and the commit from its `gitHead` (npm records it when publishing), else the git
 * checkout it sits in, else `unknown`. Never throws.
 */
export function readBuildVersion(packageJson: string | URL): BuildVersion {
  const path = packageJson instanceof URL ? fileURLToPath(packageJson) : packageJson;
  let manifest: { version?: unknown; gitHead?: unknown } = {};
  try {
    manifest = JSON.parse(readText(path) ?? '{}') as typeof manifest;
  } catch {
    // An unreadable package.json gives `unknown`, never a failure.
  }
  const version = typeof manifest.version === 'string' ? manifest.version : 'unknown';
  const sha = typeof manifest.gitHead === 'string' ? manifest.gitHead : readGitHead(dirname(path));
  return { version, commit: sha === undefined ? 'unknown' : sha.slice(0, 12) };
}
