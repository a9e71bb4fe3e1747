import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fixturePath } from '@packyard/core/testing';
import { emulatedHermit, hostArch, PINNED_HERMIT_VERSION, writePythonStandIn } from '../src/index.js';

const run = promisify(execFile);
// What tools/scripts/setup-arm64-python.sh printed: the Nx target `hermit-client:arm64-python`, which
// this project's test depends on, runs it once per run (idempotent and pinned; it needs root for
// qemu-user), outside jest and its time limit.
const ARM64_PYTHON = join(import.meta.dirname, '../../../dist/fixtures/hermit-client-arm64/python.env');

describe('emulatedHermit', () => {
  it('writes a client script that starts the binary through the emulator command, arguments kept', async () => {
    const dir = await mkdtemp(join(tmpdir(), "packyard-hermit-emu 'quoted' "));
    const client = { hermit: await fixturePath('hermit-client', 'hermit'), version: PINNED_HERMIT_VERSION };
    // `env NAME=value` stands in for the emulator: the script must pass it, then the binary, then its own arguments.
    const emulated = await emulatedHermit(client, join(dir, 'hermit'), [
      'env',
      'PACKYARD_EMULATED=yes it is',
    ]);
    expect(emulated).toEqual({ hermit: join(dir, 'hermit'), version: PINNED_HERMIT_VERSION });
    const { stdout } = await run(emulated.hermit, ['--version']);
    expect(stdout).toContain(PINNED_HERMIT_VERSION);
    expect(await readFile(emulated.hermit, 'utf8')).toBe(
      `#!/bin/sh\nexec 'env' 'PACKYARD_EMULATED=yes it is' '${client.hermit}' "$@"\n`,
    );
  });
});

describe('hostArch', () => {
  it("names this machine's architecture as Go does", () => {
    expect(hostArch()).toBe({ x64: 'amd64', arm64: 'arm64' }[process.arch as string]);
  });
});

describe('writePythonStandIn with interpreters', () => {
  it('runs the named interpreter for its minor and counts each start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-stand-in-'));
    const { stdout } = await run('python3', [
      '-c',
      'import sys; print(sys.executable); print("%d.%d" % sys.version_info[:2])',
    ]);
    const [executable, minor] = stdout.trim().split('\n') as [string, string];
    const python = await writePythonStandIn(join(dir, 'python3'), [minor], {
      interpreters: { [minor]: executable },
    });
    const manifest = await readFile(join(python.source, 'python3.hcl'), 'utf8');
    const version = /version "([^"]+)"/.exec(manifest)?.[1];
    expect(version?.startsWith(`${minor}.`)).toBe(true);
    const ran = await run(join(dir, 'python3', `python3-${version}`, 'bin', `python${minor}`), [
      '-c',
      'import sys; print(sys.executable)',
    ]);
    expect(ran.stdout.trim()).toBe(executable);
    expect(await python.uses()).toBe(1);
  });

  it('names the interpreter that does not start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-stand-in-'));
    await expect(
      writePythonStandIn(join(dir, 'python3'), ['3.99'], {
        interpreters: { '3.99': join(dir, 'no-python') },
      }),
    ).rejects.toThrow(`python3@3.99 is needed; ${join(dir, 'no-python')} does not start`);
  });
});

describe('tools/scripts/setup-arm64-python.sh', () => {
  it("gives arm64 CPythons 3.11 and 3.13 under qemu-user, each on its own Debian suite's glibc, that make venvs", async () => {
    const said = Object.fromEntries(
      (await readFile(ARM64_PYTHON, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => /^([\w.-]+)=(.*)$/.exec(line)!.slice(1, 3)),
    );
    expect(said['python3.12']).toMatch(/^unavailable: /);
    const interpreters = { '3.11': said['python3.11']!, '3.13': said['python3.13']! };
    const dir = await mkdtemp(join(tmpdir(), 'packyard-stand-in-arm64-'));
    const python = await writePythonStandIn(join(dir, 'python3'), Object.keys(interpreters), {
      interpreters,
    });
    const manifest = await readFile(join(python.source, 'python3.hcl'), 'utf8');
    // bookworm's 3.11 on glibc 2.36, trixie's 3.13 on glibc 2.41: a 3.13 on the 3.11 sysroot would not start.
    for (const [minor, glibc] of [
      ['3.11', '2.36'],
      ['3.13', '2.41'],
    ] as const) {
      const version = new RegExp(`version "(${minor.replace('.', '\\.')}\\.\\d+)"`).exec(manifest)?.[1];
      expect(version).toBeDefined();
      const ran = await run(join(dir, 'python3', `python3-${version}`, 'bin', `python${minor}`), [
        '-c',
        'import platform, ssl, sys; print(platform.machine(), platform.libc_ver()[1], sys.executable)',
      ]);
      expect(ran.stdout.trim()).toBe(`aarch64 ${glibc} ${interpreters[minor]}`);
      // PEX's venv mode runs `python -I -m venv --without-pip`; the venv's python must start emulated.
      const venv = join(dir, `venv-${minor}`);
      await run(interpreters[minor], ['-I', '-m', 'venv', '--without-pip', venv]);
      const inVenv = await run(join(venv, 'bin', `python${minor}`), [
        '-c',
        'import platform, sys; print(platform.machine(), sys.prefix)',
      ]);
      expect(inVenv.stdout.trim()).toBe(`aarch64 ${venv}`);
    }
    expect(await python.uses()).toBe(2);
  });
});
