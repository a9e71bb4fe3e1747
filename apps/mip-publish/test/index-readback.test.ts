import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aWorkspace, runCli, SHIPPED } from './helpers.js';

describe('index.json is replaced only when every bundle it names is in the store with its digest', () => {
  it('keeps serving the old index when a named bundle is missing or holds other bytes', async () => {
    const root = await aWorkspace({}, false);
    await cp(join(SHIPPED, 'hello_mip'), join(root, 'mip-packages', 'hello_mip'), { recursive: true });
    const first = await runCli(root, ['run']);
    expect(first.code).toBe(0);
    const indexPath = join(root, 'build', 'gh-pages', 'index.json');
    const before = await readFile(indexPath, 'utf8');
    const index = JSON.parse(before);
    expect(index.packages[0].mhl_sha256).toBe(index.packages[0].sha256);
    const store = join(root, 'build', 'mip-store', 'core', 'packages');
    const [digest] = await readdir(join(store, 'sha256'));
    const bundle = join(store, 'sha256', digest!, 'hello_mip-1.0.0-any-none-any.mhl');

    await writeFile(bundle, 'other bytes');
    const changed = await runCli(root, ['index']);
    expect(changed.code).toBe(1);
    expect(changed.err).toContain(
      `names core/packages/sha256/${digest}/hello_mip-1.0.0-any-none-any.mhl with sha256 ${digest}, but the store holds`,
    );
    expect(changed.err).toContain('index.json not written');
    expect(await readFile(indexPath, 'utf8')).toBe(before);

    await rm(bundle);
    const missing = await runCli(root, ['index']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(
      `names core/packages/sha256/${digest}/hello_mip-1.0.0-any-none-any.mhl, which is not in the store`,
    );
    expect(await readFile(indexPath, 'utf8')).toBe(before);
  });
});
