import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { aWorkspace, runCli, SETUP_OCTAVE } from './helpers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'early-channel');
const SOURCES = join(FIXTURES, 'sources');

const PUBLISHED = [
  'export_fig-3.54-any-none-any',
  'flam-unspecified-any-none-any',
  'gui-layout-toolbox-2.4.2-any-none-any',
  'hatchfill2-3.0-any-none-any',
  'hungarian-algorithm-1.0-any-none-any',
  'kdtree-unspecified-any-none-any',
];

let work: string;
let server: Server;
let env: Record<string, string>;

/** A bare repository holding `tree` as one commit. */
async function bareRepo(tree: string, bare: string): Promise<void> {
  const clone = await mkdtemp(join(work, 'src-'));
  await cp(tree, clone, { recursive: true });
  const git = (...args: string[]) =>
    execa('git', ['-c', 'user.name=fixture', '-c', 'user.email=fixture@localhost', ...args], { cwd: clone });
  await git('init', '--quiet', '--initial-branch=master');
  await git('add', '-A');
  await git('commit', '--quiet', '-m', 'fixture');
  await execa('git', ['clone', '--quiet', '--bare', clone, bare]);
}

/** A zip of `folder` (its name kept as the top entry) at `path`. */
async function zipOf(parent: string, folder: string, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // zip adds ".zip" to a name without it (File Exchange URLs end in /zip): write, then rename.
  await execa('zip', ['-q', '-X', '-r', `${path}.tmp.zip`, folder], { cwd: parent });
  await rename(`${path}.tmp.zip`, path);
}

beforeAll(async () => {
  await execa('bash', [SETUP_OCTAVE], { stdio: 'inherit' });
  work = await mkdtemp(join(tmpdir(), 'packyard-early-'));
  await bareRepo(join(SOURCES, 'kdtree'), join(work, 'kdtree.git'));
  await bareRepo(join(SOURCES, 'FLAM'), join(work, 'FLAM.git'));
  // https://host/path is served as http://127.0.0.1:PORT/host/path.
  const web = join(work, 'web');
  await zipOf(
    SOURCES,
    'export_fig-3.54',
    join(web, 'github.com/altmany/export_fig/archive/refs/tags/v3.54.zip'),
  );
  const fileExchange = 'www.mathworks.com/matlabcentral/mlc-downloads/downloads';
  await zipOf(join(SOURCES, 'gui-layout'), 'layout', join(web, fileExchange, '47982/packages/zip'));
  await zipOf(join(SOURCES, 'hatch'), 'hatchfill2', join(web, fileExchange, '53593/packages/zip'));
  await zipOf(join(SOURCES, 'hungarian'), 'munkres', join(web, fileExchange, '20652/packages/zip'));
  server = createServer((request, response) => {
    readFile(join(web, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)))
      .then((bytes) => response.writeHead(200, { 'content-type': 'application/zip' }).end(bytes))
      .catch(() => response.writeHead(404).end('not found'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const gitConfig = join(work, 'gitconfig');
  await writeFile(
    gitConfig,
    [
      `[url "file://${work}/kdtree.git"]`,
      '\tinsteadOf = https://github.com/taiya/kdtree',
      `[url "file://${work}/FLAM.git"]`,
      '\tinsteadOf = https://github.com/klho/FLAM',
      '',
    ].join('\n'),
  );
  env = {
    GIT_CONFIG_GLOBAL: gitConfig,
    GIT_CONFIG_NOSYSTEM: '1',
    PYTHONPATH: join(FIXTURES, 'helpers'),
    FIXTURE_URL_INSTEAD_OF: `http://127.0.0.1:${port}/ https://`,
  };
}, 1_800_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

describe('package files of an early mip channel, run unchanged against local sources', () => {
  let root: string;
  let run: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    root = await aWorkspace({}, false);
    await cp(join(FIXTURES, 'packages'), join(root, 'mip-packages'), { recursive: true });
    run = await runCli(root, ['run'], env);
  });

  it('publishes all six packages though their files print, and keeps what they printed in each log', async () => {
    expect(run.err).not.toMatch(/^(error|warning)/m);
    expect(run.code).toBe(0);
    const index = JSON.parse(await readFile(join(root, 'build', 'gh-pages', 'index.json'), 'utf8'));
    expect(index.packages.map((p: { name: string; version: string }) => `${p.name}-${p.version}`)).toEqual([
      'export_fig-3.54',
      'flam-unspecified',
      'gui-layout-toolbox-2.4.2',
      'hatchfill2-3.0',
      'hungarian-algorithm-1.0',
      'kdtree-unspecified',
    ]);
    const log = await readFile(
      join(root, 'build', 'prepared', 'kdtree-unspecified-any-none-any.prepare.log'),
      'utf8',
    );
    expect(log).toContain('Cloning https://github.com/taiya/kdtree...');
    expect(log).toContain("Cloning into 'kdtree_clone'...");
    expect(log).toContain('Copying compile_kdtree.m...');
    const compileLog = await readFile(
      join(root, 'build', 'prepared', 'kdtree-unspecified-any-none-any.compile.log'),
      'utf8',
    );
    expect(compileLog).toContain(
      'packyard: translated the MATLAB mex argument "CXXFLAGS=$CXXFLAGS -std=c++14" for Octave',
    );
  });

  it("bundles each package's own load_package.m, and every bundle loads in Octave with its functions callable", async () => {
    // Installed as the mip client does: each package's mhl_url from index.json, checked against mhl_sha256.
    const index = JSON.parse(await readFile(join(root, 'build', 'gh-pages', 'index.json'), 'utf8')) as {
      packages: Array<{ mhl_url: string; mhl_sha256: string }>;
    };
    const urls = index.packages.map((p) => p.mhl_url);
    expect(urls.map((u) => u.split('/').pop()).sort()).toEqual(PUBLISHED.map((m) => `${m}.mhl`));
    const installed = join(root, 'installed');
    await mkdir(installed);
    for (const p of index.packages) {
      const path = fileURLToPath(p.mhl_url);
      expect(
        createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
      ).toBe(p.mhl_sha256);
      const mhl = path.split('/').pop()!.slice(0, -'.mhl'.length);
      await execa('unzip', ['-q', path, '-d', join(installed, mhl)]);
    }
    const flamLoad = await readFile(join(installed, PUBLISHED[1]!, 'load_package.m'), 'utf8');
    expect(flamLoad.match(/addpath\(/g)).toHaveLength(23); // flam/ and the 22 folders below it
    expect(flamLoad).not.toContain("'flam/test'");
    // One Octave session loads every package and calls its functions.
    const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const script = [
      ...PUBLISHED.map((m) => `old = cd(${q(join(installed, m))}); load_package(); cd(old);`),
      "printf('RESULT kdtree %d\\n', kdtree_demo());",
      "printf('RESULT flam %s|%s|%s\\n', flam_core(), flam_hifie_hifie3(), flam_sparse_assemble());",
      "printf('RESULT flam_test %d\\n', exist('flam_test_only'));",
      "printf('RESULT export_fig %s %d\\n', export_fig(), print2array(3)(2,2));",
      "printf('RESULT fex %s|%s|%s\\n', uix_version(), hatchfill2(), munkres());",
    ].join('\n');
    const octave = await execa('octave-cli', ['--norc', '--quiet', '--no-history', '--eval', script], {
      reject: false,
      all: true,
    });
    expect(octave.all).toContain('RESULT kdtree 2');
    expect(octave.all).toContain('RESULT flam core|hifie/hifie3|sparse/assemble');
    expect(octave.all).toContain('RESULT flam_test 0');
    expect(octave.all).toContain('RESULT export_fig 3.54 5');
    expect(octave.all).toContain('RESULT fex uix_version ok|hatchfill2 ok|munkres ok');
    expect(octave.exitCode).toBe(0);
  });

  it('rebuilds only the package whose sibling file changed', async () => {
    await appendFile(join(root, 'mip-packages', 'kdtree', 'compile_kdtree.m'), '% edited\n');
    const again = await runCli(root, ['prepare'], env);
    expect(again.code).toBe(0);
    expect(again.err).toContain('published metadata differs in source_hash; rebuilding');
    expect(again.out).toContain('prepare: 1 done, 5 skipped, 0 failed');
    expect(await readdir(join(root, 'build', 'prepared'))).toContain('kdtree-unspecified-any-none-any.dir');
  });
});

describe('package files that hang, raise or define nothing for the build type', () => {
  // Takes connections and never answers.
  const silent = createServer(() => undefined);
  beforeAll(async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('fails each alone with its name and cause, publishes the rest, and exits 5 for the hangs', async () => {
    const pkg = (
      name: string,
      body: string,
      gate = "os.environ.get('BUILD_TYPE') == 'standard'",
    ) => `import os, sys, time
class P:
    def __init__(self):
        self.name = "${name}"
        self.description = "fixture"
        self.version = "1.0"
    def prepare(self, mhl_dir):
        print("Cloning into '${name}'...")
        print("progress 50%", file=sys.stderr)
${body}
packages = [P()] if ${gate} else []
`;
    const root = await aWorkspace(
      {
        'hangs/packages.py': pkg('hangs', '        time.sleep(3600)'),
        'raises/packages.py': pkg('raises', '        raise RuntimeError("upstream is gone")'),
        'nightly/packages.py': pkg('nightly', '        pass', "os.environ.get('BUILD_TYPE') == 'nightly'"),
        'prints/packages.py': pkg(
          'prints',
          '        open(os.path.join(mhl_dir, "prints.m"), "w").write("function prints()\\nend\\n")',
        ),
        // A git source whose server never answers, and a compile.m that never ends.
        'git-hangs/mip.yaml': `name: githangs\ndescription: d\nversion: "1.0"\nsource:\n  git: http://127.0.0.1:${(silent.address() as { port: number }).port}/repo.git\n  ref: main\n`,
        'compile-hangs/mip.yaml':
          'name: compilehangs\ndescription: d\nversion: "1.0"\nsource:\n  folder: src\n',
        'compile-hangs/src/compilehangs.m': 'function compilehangs()\nend\n',
        'compile-hangs/compile.m': "disp('compiling forever'); pause(3600);\n",
      },
      false,
    );
    // The build limit applies to the good package files too: generous, so a slow machine cannot fail
    // them; only the git and compile limits, which nothing else here uses, are short.
    const run = await runCli(
      root,
      ['run', '--time-limit-build', '60', '--time-limit-git', '3', '--time-limit-compile', '10'],
      {},
    );
    expect(run.code).toBe(1); // time limits and other failures: failed (19 when every failure is a time limit)
    expect(run.err).toContain(
      'git-hangs/mip.yaml: source.git: git ls-remote timed out after 3 s (its process group was killed)',
    );
    expect(run.err).toContain(
      'compilehangs-1.0-any-none-any.dir/compile.m: compile.m failed: octave timed out',
    );
    expect(run.err).toContain('compile.m failed: octave timed out after 10 s (its process group was killed)');
    expect(run.err).toContain(
      'hangs/packages.py: building hangs failed: python timed out after 60 s (its process group was killed); its output ends:',
    );
    expect(run.err).toContain("Cloning into 'hangs'...");
    expect(run.err).toContain('raises/packages.py: building raises failed: python exited with code 1');
    expect(run.err).toContain('RuntimeError: upstream is gone');
    expect(run.err).toContain(
      'nightly/packages.py: packages: defines no package for BUILD_TYPE="standard"; the build types it names are "nightly" (choose one with --build-type)',
    );
    const index = JSON.parse(await readFile(join(root, 'build', 'gh-pages', 'index.json'), 'utf8'));
    expect(index.packages.map((p: { name: string }) => p.name)).toEqual(['prints']);
  });
});
