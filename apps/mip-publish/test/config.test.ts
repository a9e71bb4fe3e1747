import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aWorkspace, runCli } from './helpers.js';

const base = `name: pkg
description: "d"
version: "1.0"
source:
  folder: src
`;

describe('bad input in a pipeline run', () => {
  it('reports each bad package, runs the others, writes nothing for the bad ones, and exits 4', async () => {
    const good = await aWorkspace(
      { 'good/mip.yaml': base, 'good/src/pkg.m': 'function pkg()\nend\n' },
      false,
    );
    const both = await aWorkspace(
      {
        'good/mip.yaml': base,
        'good/src/pkg.m': 'function pkg()\nend\n',
        'bad-key/mip.yaml': `${base.replace('name: pkg', 'name: badkey')}colour: red\n`,
      },
      false,
    );
    const result = await runCli(both, ['prepare']);
    expect(result.code).toBe(6);
    expect(result.err).toContain(`${join(both, 'mip-packages', 'bad-key', 'mip.yaml')}: colour: unknown key`);
    expect(await readdir(join(both, 'build', 'prepared'))).toEqual([
      'pkg-1.0-any-none-any.build.json',
      'pkg-1.0-any-none-any.dir',
    ]);
    expect((await runCli(good, ['prepare'])).code).toBe(0);
  });

  it('shows the last lines of a package.py traceback, removes its .dir, and builds the others', async () => {
    const root = await aWorkspace(
      {
        'broken/package.py': `class Package:
    def __init__(self):
        self.name = "broken"
        self.description = "raises"
        self.version = "2.0"
        self.build_number = 0
        self.dependencies = []
        self.homepage = ""
        self.repository = ""
        self.matlab_tag = "any"
        self.abi_tag = "none"
        self.platform_tag = "any"
        self.exposed_symbols = []

    def build(self, mhl_dir):
        open(mhl_dir + "/half.m", "w").write("x")
        raise RuntimeError("upstream download failed")
`,
        'legacy/packages.py': `BUILD_TYPE = "copy"

class Tool:
    def __init__(self, name):
        self.name = name
        self.description = "from packages.py"
        self.version = "1.0"
        self.build_number = 3
        self.dependencies = []
        self.homepage = ""
        self.repository = ""
        self.matlab_tag = "any"
        self.abi_tag = "none"
        self.platform_tag = "any"
        self.exposed_symbols = []

    def prepare(self, mhl_dir):
        with open(f"{mhl_dir}/{self.name}.m", "w") as f:
            f.write(f"function {self.name}()\\nend\\n")
        self.exposed_symbols = [self.name]

packages = [Tool("alpha"), Tool("beta")]
`,
      },
      false,
    );
    const result = await runCli(root, ['prepare']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('building broken failed:');
    expect(result.err).toContain('RuntimeError: upstream download failed');
    const prepared = await readdir(join(root, 'build', 'prepared'));
    expect(prepared.filter((f) => f.endsWith('.dir'))).toEqual([
      'alpha-1.0-any-none-any.dir',
      'beta-1.0-any-none-any.dir',
    ]);
    const mip = JSON.parse(
      await readFile(join(root, 'build', 'prepared', 'beta-1.0-any-none-any.dir', 'mip.json'), 'utf8'),
    );
    expect(mip).toMatchObject({ name: 'beta', build_number: 3, exposed_symbols: ['beta'] });
  });

  it('exits 3 before any work when a remote store has no credentials, naming the variables', async () => {
    const root = await aWorkspace();
    const result = await runCli(root, [
      'run',
      '--store',
      's3://mip-packages',
      '--base-url',
      'https://x.example/core/packages',
    ]);
    expect(result.code).toBe(3);
    expect(result.err).toContain(
      'an S3/R2 store needs credentials: set AWS_ACCESS_KEY_ID or R2_ACCESS_KEY_ID, and AWS_SECRET_ACCESS_KEY or R2_SECRET_ACCESS_KEY',
    );
    await expect(access(join(root, 'build'))).rejects.toThrow();
  });
});
