import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { filenameHashPath, fanOutPath, LAYOUT_CONF } from '@packyard/archive-store';
import { provisionTools, runPythonWith } from '@packyard/python-tools';
import { resolveIndexUrl } from '@packyard/pypi-client';
import { fixturePath } from '@packyard/core/testing';
import { allowPublicReads, startS3Server, type S3Server } from '@packyard/s3-server';
import { EXIT } from '@packyard/core';
import { aDir, aRoot, runCli } from './helpers.js';

/** Real Portage from PyPI: its fetch code (mirror layouts, FETCHCOMMAND, Manifest digests). */
const PORTAGE = 'portage==3.0.83';

// Portage's own code does the work: it reads the mirror's layout.conf (MirrorLayoutConfig), fetches
// from GENTOO_MIRRORS through the layout it picks, then through each layout layout.conf lists (the
// path from the layout's own get_path), each time into a fresh DISTDIR with the Manifest's DIST
// digests, which fetch verifies. A Manifest with one wrong digest must fail.
const FETCH = String.raw`
import json, os, sys
request = json.loads(sys.argv[1])
os.environ["PORTAGE_CONFIGROOT"] = request["root"]
import portage
from portage.checksum import verify_all
from portage.manifest import Manifest
from portage.package.ebuild.fetch import DistfileName, MirrorLayoutConfig, fetch

name, mirror, work = request["name"], request["mirror"], request["work"]
digests = Manifest(os.path.dirname(request["manifest"]), work).getTypeDigests("DIST")[name]
curl = 'curl --fail --silent --show-error --location --output "${'$'}{DISTDIR}/${'$'}{FILE}" "${'$'}{URI}"'

def settings(distdir, mirrors):
    os.makedirs(distdir, exist_ok=True)
    env = dict(os.environ, DISTDIR=distdir, GENTOO_MIRRORS=mirrors, FETCHCOMMAND=curl,
               RESUMECOMMAND=curl.replace("--output", "--continue-at - --output"),
               FEATURES="-userfetch -userpriv -usersandbox -distlocks", PORTAGE_TMPDIR=work)
    return portage.config(config_root=request["root"], target_root=request["root"], env=env)

def fetched(distdir, uris, mirrors, file_digests, try_mirrors):
    ok = fetch({name: uris}, settings(distdir, mirrors), digests={name: file_digests}, try_mirrors=try_mirrors)
    path = os.path.join(distdir, name)
    return bool(ok) and os.path.exists(path) and verify_all(path, file_digests)[0]

result = {"digests": sorted(k for k in digests if k != "size")}
result["mirror"] = fetched(os.path.join(work, "mirror"), [], mirror, digests, 1)
conf = MirrorLayoutConfig()
conf.read_from_file(os.path.join(work, "mirror", ".layout.conf.127.0.0.1"))
result["best"] = type(conf.get_best_supported_layout(DistfileName(name, digests=digests))).__name__
result["layouts"] = []
for index, layout in enumerate(conf.get_all_layouts()):
    path = layout.get_path(DistfileName(name, digests=digests))
    ok = fetched(os.path.join(work, "layout-%d" % index), [mirror + "/distfiles/" + path], "", digests, 0)
    result["layouts"].append([type(layout).__name__, path, ok])
wrong = dict(digests, SHA512=digests["SHA512"][:-1] + ("0" if digests["SHA512"][-1] != "0" else "1"))
result["wrongDigest"] = fetched(os.path.join(work, "wrong"), [], mirror, wrong, 1)
print(json.dumps(result))
`;

let root: string;
let server: S3Server;

// One real versitygw for the file, built once by `nx run s3-server:fixtures` (the test target
// depends on it); the time limit is a hang guard only.
beforeAll(async () => {
  root = await aRoot();
  server = await startS3Server({
    dir: join(root, 's3'),
    bucket: 'cdn',
    binary: await fixturePath('s3-server', 'versitygw'),
  });
}, 1_800_000);

afterAll(async () => {
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('a mirror real Portage reads', () => {
  it('publish serves every archive under both GLEP 75 layouts; Portage fetches and verifies through each', async () => {
    const store = join(await aDir(root), 'stores');
    const from = await aDir(root, { 'go.sum': 'example.com/x v1.0.0 h1:abc=\n', 'empty/.keep': '' });
    const name = 'foobar-go-modules-1.2.3.tar.xz';
    expect(
      (
        await runCli([
          'create',
          name,
          '--store-dir',
          store,
          '--from',
          from,
          '--key-json',
          '{"gosum": "abc"}',
          '--no-distfiles',
        ])
      ).code,
    ).toBe(EXIT.ok);
    const published = await runCli(
      ['publish', '--store-dir', store, '--to', 's3://cdn', '--prefix', 'distfiles', '--json'],
      { env: server.env },
    );
    expect(published.code).toBe(EXIT.ok);
    expect(JSON.parse(published.stdout).names.uploaded).toEqual([name]);
    const manifest = join(await aDir(root), 'Manifest');
    const line = await runCli([
      'manifest',
      name,
      '--store-dir',
      store,
      '--key-json',
      '{"gosum": "abc"}',
      '--manifest',
      manifest,
      '--json',
    ]);
    expect(line.code).toBe(EXIT.ok);
    const sha512 = / SHA512 ([0-9a-f]{128})/.exec(await readFile(manifest, 'utf8'))![1]!;

    // A CDN serves its bucket to anyone: the deployment's part, done here as it would be there.
    await allowPublicReads(server, 'cdn');
    const mirror = `${server.endpoint}/cdn`;
    expect(await (await fetch(`${mirror}/distfiles/layout.conf`)).text()).toBe(LAYOUT_CONF);

    const tools = await provisionTools();
    const { url } = await resolveIndexUrl();
    const portageRoot = await aDir(root);
    await mkdir(join(portageRoot, 'etc', 'portage'), { recursive: true });
    const stdout = await runPythonWith(tools, {
      requirements: [PORTAGE],
      indexUrl: url,
      script: FETCH,
      payload: { name, mirror, manifest, root: portageRoot, work: await aDir(root) },
      tailLines: 40,
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(result).toEqual({
      digests: ['BLAKE2B', 'SHA512'],
      mirror: true,
      best: 'ContentHashLayout',
      layouts: [
        ['ContentHashLayout', fanOutPath(sha512), true],
        ['FilenameHashLayout', filenameHashPath(name), true],
      ],
      wrongDigest: false,
    });
  });
});
