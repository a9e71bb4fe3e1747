import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

// The Debian package that provides each command the tests check archives with.
const PACKAGES: Record<string, string> = {
  unzip: 'unzip',
  zipinfo: 'unzip',
  xz: 'xz-utils',
  zstd: 'zstd',
  b2sum: 'coreutils',
  sha512sum: 'coreutils',
  tar: 'tar',
};

async function has(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure the reference tools the tests check archives with are on PATH: missing ones are installed
 * from Debian's packages when running as root (as CI does), else the test fails saying what to install.
 */
export async function ensureSystemTools(commands: string[]): Promise<void> {
  const missing: string[] = [];
  for (const command of commands) if (!(await has(command))) missing.push(command);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((command) => PACKAGES[command] ?? command))];
  if (process.getuid?.() !== 0) {
    throw new Error(`these tests need ${missing.join(', ')}: install ${packages.join(' ')}`);
  }
  const apt = ['-o', 'DPkg::Lock::Timeout=900'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', [...apt, 'update'], { env });
  await run('apt-get', [...apt, 'install', '-y', '--no-install-recommends', ...packages], { env });
}
