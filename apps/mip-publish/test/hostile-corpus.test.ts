import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aWorkspace, runCli } from './helpers.js';

const yaml = (name: string, extra: string, source = 'source:\n  folder: src\n') =>
  `name: ${name}\ndescription: hostile case\nversion: "1.0"\n${source}${extra}`;
const fn = (name: string) => `function ${name}()\nend\n`;

/** Each case: its files, and what the error line must hold (file, key as written, value). */
const CASES: Record<string, { files: Record<string, string>; expect: string[] }> = {
  'version-number': {
    files: {
      'mip.yaml': 'name: vnum\ndescription: d\nversion: 1.10\nsource:\n  folder: src\n',
      'src/a.m': fn('a'),
    },
    expect: ['version-number/mip.yaml: version: must be a string, not 1.1'],
  },
  'build-number-negative': {
    files: { 'mip.yaml': yaml('bneg', 'build_number: -1\n'), 'src/a.m': fn('a') },
    expect: ['build-number-negative/mip.yaml: build_number:', ', not -1'],
  },
  'dependencies-string': {
    files: { 'mip.yaml': yaml('depstr', 'dependencies: hello_mip\n'), 'src/a.m': fn('a') },
    expect: ['dependencies-string/mip.yaml: dependencies:', 'not "hello_mip"'],
  },
  'missing-folder': {
    files: { 'mip.yaml': yaml('missing', '', 'source:\n  folder: nowhere\n') },
    expect: ['missing-folder/mip.yaml: source.folder: "nowhere" does not exist'],
  },
  'yaml-is-directory': {
    files: { 'mip.yaml/keep': '' },
    expect: ['yaml-is-directory/mip.yaml: is a directory, not a file'],
  },
  'long-name': {
    files: { 'mip.yaml': yaml('n'.repeat(300), ''), 'src/a.m': fn('a') },
    expect: ['long-name/mip.yaml: name: must be at most 100 characters (it names files), not "nnnnn'],
  },
  'alias-bomb': {
    files: {
      'mip.yaml': `a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
name: bomb
`,
    },
    expect: ['alias-bomb/mip.yaml: (top level): invalid YAML:'],
  },
  'zip-file-url': {
    files: { 'mip.yaml': yaml('zipfile', '', 'source:\n  zip: file:///etc/passwd\n') },
    expect: [
      'zip-file-url/mip.yaml: source.zip: must be an http:// or https:// URL, not "file:///etc/passwd"',
    ],
  },
  'paths-missing': {
    files: { 'mip.yaml': yaml('pathsmissing', 'paths: [toolbox]\n'), 'src/a.m': fn('a') },
    expect: ['paths-missing/mip.yaml: paths[0]: "toolbox" is not a folder of the package'],
  },
  'subdirectory-missing': {
    files: {
      'mip.yaml': yaml('submissing', '', 'source:\n  folder: src\n  subdirectory: lib\n'),
      'src/a.m': fn('a'),
    },
    expect: ['subdirectory-missing/mip.yaml: source.subdirectory: "lib" does not exist'],
  },
  'no-packages': {
    files: { 'packages.py': 'packages = []\n' },
    expect: ['no-packages/packages.py: packages: defines no package for BUILD_TYPE="standard"'],
  },
};

describe('the hostile corpus, each case beside a good package', () => {
  let root: string;
  let run: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    const files: Record<string, string> = {
      'good/mip.yaml': yaml('good', ''),
      'good/src/good.m': fn('good'),
      'empty/mip.yaml': yaml('empty', ''),
    };
    for (const [dir, c] of Object.entries(CASES)) {
      for (const [path, text] of Object.entries(c.files)) files[`${dir}/${path}`] = text;
    }
    root = await aWorkspace(files, false);
    const pkgs = join(root, 'mip-packages');
    await mkdir(join(pkgs, 'empty', 'src', 'nothing'), { recursive: true });
    // A source folder that is a symbolic link, and a symbolic link inside a package.
    await mkdir(join(pkgs, 'source-link', 'real'), { recursive: true });
    await writeFile(join(pkgs, 'source-link', 'real', 'a.m'), fn('a'));
    await symlink('real', join(pkgs, 'source-link', 'src'));
    await writeFile(join(pkgs, 'source-link', 'mip.yaml'), yaml('sourcelink', ''));
    await mkdir(join(pkgs, 'inner-link', 'src'), { recursive: true });
    await writeFile(join(pkgs, 'inner-link', 'src', 'a.m'), fn('a'));
    await symlink('a.m', join(pkgs, 'inner-link', 'src', 'b.m'));
    await writeFile(join(pkgs, 'inner-link', 'mip.yaml'), yaml('innerlink', ''));
    run = await runCli(root, ['run'], {});
  });

  it('exits 4', () => {
    expect(run.code).toBe(6);
  });

  it.each(Object.entries(CASES))('%s: names the file, the key as written and the value', (_name, c) => {
    const lines = run.err.split('\n');
    const line = lines.find((l) => l.includes(c.expect[0]!));
    expect(line).toBeDefined();
    for (const part of c.expect.slice(1)) expect(run.err).toContain(part);
  });

  it('refuses symbolic links, naming them', () => {
    expect(run.err).toContain(
      'source-link/mip.yaml: source.folder: "src" is a symbolic link; packyard reads only real folders',
    );
    expect(run.err).toContain(
      'inner-link/mip.yaml: source: holds symbolic links, which a .mhl does not store: b.m',
    );
  });

  it('warns about an empty package and publishes it; publishes the good one; writes nothing for the others', async () => {
    expect(run.err).toContain('warning: ');
    expect(run.err).toContain('empty-1.0-any-none-any holds no files');
    const store = join(root, 'build', 'mip-store', 'core', 'packages');
    expect((await readdir(store)).sort()).toEqual([
      'empty-1.0-any-none-any.mhl.mip.json',
      'good-1.0-any-none-any.mhl.mip.json',
      'sha256',
    ]);
    expect((await readdir(join(store, 'sha256'))).length).toBe(2);
    expect(
      (await readdir(join(root, 'build', 'prepared'))).filter(
        (f) => !f.startsWith('empty') && !f.startsWith('good'),
      ),
    ).toEqual([]);
    const index = JSON.parse(await readFile(join(root, 'build', 'gh-pages', 'index.json'), 'utf8'));
    expect(index.total_packages).toBe(2);
  });
});
