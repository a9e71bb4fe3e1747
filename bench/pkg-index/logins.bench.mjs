// Read latency of `GET /simple/<project>/` on an idle pkg-index server, then while 50 clients keep
// uploading with a wrong password (bcrypt cost 12, as `pkg-index hash-password` makes by default).
// The server is @packyard/index-server started in this process's child (the real CLI), on loopback.
// Prints one JSON line, then one line for people. Usage:
//   node bench/pkg-index/logins.bench.mjs [--reads N] [--attackers N]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { Buffer } from 'node:buffer';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadCompiled } from '../lib/load.mjs';
import { median, positiveInteger, round3 } from '../lib/stats.mjs';

const USAGE = 'usage: node bench/pkg-index/logins.bench.mjs [--reads N] [--attackers N]';
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at < 0 ? fallback : positiveInteger(name, args[at + 1], USAGE);
};
const reads = option('reads', 200);
const attackers = option('attackers', 50);
const MAIN_JS = fileURLToPath(new URL('../../apps/pkg-index/dist/main.js', import.meta.url));
const [{ hashPassword }, { addFilesToIndex }] = await loadCompiled(
  ['@packyard/pkg-index', '@packyard/wheel-index'],
  'npx nx run pkg-index:compile',
);

function get(port, path) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
    });
    req.on('error', reject);
    req.end();
  });
}

function wrongLogin(port) {
  return new Promise((resolve) => {
    const body = Buffer.from(
      '--b\r\nContent-Disposition: form-data; name=":action"\r\n\r\nfile_upload\r\n--b--\r\n',
    );
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent: false,
        headers: {
          authorization: `Basic ${Buffer.from('alice:not-the-password').toString('base64')}`,
          'content-type': 'multipart/form-data; boundary=b',
          'content-length': body.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

// A sound wheel (RECORD with hashes), made with Python's standard library.
const WRITE_WHEEL = `
import base64, hashlib, sys, zipfile
files = {
    "demo_pkg/__init__.py": b"VALUE = 1\\n",
    "demo_pkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: demo-pkg\\nVersion: 1.0\\n",
    "demo_pkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
rows = ["%s,sha256=%s,%d" % (n, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode(), len(d)) for n, d in files.items()]
files["demo_pkg-1.0.dist-info/RECORD"] = ("\\n".join(rows + ["demo_pkg-1.0.dist-info/RECORD,,"]) + "\\n").encode()
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for n, d in files.items():
        z.writestr(zipfile.ZipInfo(n, (2020, 1, 1, 0, 0, 0)), d)
`;

const percentile = (values, p) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))];

const dir = await mkdtemp(join(tmpdir(), 'bench-logins-'));
let child;
try {
  // One small project to read; a wheel written by Python's zipfile (stdlib only).
  const { execFileSync } = await import('node:child_process');
  execFileSync('python3', ['-c', WRITE_WHEEL, join(dir, 'demo_pkg-1.0-py3-none-any.whl')]);
  await addFilesToIndex(join(dir, 'index'), [join(dir, 'demo_pkg-1.0-py3-none-any.whl')]);
  // The login rate is lifted so every wrong password costs a bcrypt check (the worst case).
  await writeFile(
    join(dir, 'serve.yaml'),
    `users:\n  alice: "${await hashPassword('the-password', 12)}"\nloginRate: { burst: 1000000, perMinute: 1000000 }\n`,
  );
  child = spawn(process.execPath, [
    MAIN_JS,
    'serve',
    '--port',
    '0',
    '--index-dir',
    join(dir, 'index'),
    '--config',
    join(dir, 'serve.yaml'),
  ]);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  const path = '/simple/demo-pkg/';
  for (let i = 0; i < 20; i += 1) await get(port, path);
  const idle = [];
  for (let i = 0; i < reads; i += 1) idle.push(await get(port, path));

  let attacking = true;
  let logins = 0;
  const statuses = new Map();
  const attack = async () => {
    while (attacking) {
      const status = await wrongLogin(port);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      logins += 1;
    }
  };
  const crowd = Array.from({ length: attackers }, attack);
  // Let the attack reach its steady state before measuring.
  while (logins < attackers) await sleep(20);
  const loaded = [];
  for (let i = 0; i < reads; i += 1) loaded.push(await get(port, path));
  attacking = false;
  await Promise.all(crowd);

  const result = {
    bench: 'pkg-index-logins',
    reads,
    attackers,
    bcryptCost: 12,
    idleMedianMs: round3(median(idle)),
    idleP95Ms: round3(percentile(idle, 0.95)),
    loadedMedianMs: round3(median(loaded)),
    loadedP95Ms: round3(percentile(loaded, 0.95)),
    ratioMedian: round3(median(loaded) / median(idle)),
    ratioP95: round3(percentile(loaded, 0.95) / percentile(idle, 0.95)),
    wrongLogins: logins,
    loginStatuses: Object.fromEntries(statuses),
  };
  console.log(JSON.stringify(result));
  console.log(
    `GET ${path}: idle median ${result.idleMedianMs} ms (p95 ${result.idleP95Ms}), during ${attackers} wrong-password uploaders ` +
      `median ${result.loadedMedianMs} ms (p95 ${result.loadedP95Ms}): ratio ${result.ratioMedian} (p95 ${result.ratioP95}); ` +
      `${logins} wrong logins answered ${JSON.stringify(result.loginStatuses)}`,
  );
} finally {
  child?.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
}
