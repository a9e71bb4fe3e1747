// Page throughput of `pkg-index serve` against nginx (Debian's nginx-light) serving the same index
// tree on loopback, both with one worker process, measured with wrk (Debian's, pinned with nginx by
// tools/scripts/setup-nginx.sh). The pages: the project's HTML page (`/simple/<project>/`), what pip
// asks for. Prints one JSON line, then one line for people. Usage:
//   bash tools/scripts/setup-nginx.sh && npx nx run pkg-index:compile
//   node bench/pkg-index/pages.bench.mjs [--seconds N] [--connections N] [--rounds N] [--projects N]
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Buffer } from 'node:buffer';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadCompiled } from '../lib/load.mjs';
import { median, positiveInteger, round3, usage } from '../lib/stats.mjs';

const USAGE =
  'node bench/pkg-index/pages.bench.mjs [--seconds N] [--connections N] [--rounds N] [--projects N]';
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at < 0 ? fallback : positiveInteger(name, args[at + 1], USAGE);
};
const seconds = option('seconds', 5);
const connections = option('connections', 16);
const rounds = option('rounds', 3);
const projects = option('projects', 20);
const NGINX = '/usr/sbin/nginx';
const MAIN_JS = fileURLToPath(new URL('../../apps/pkg-index/dist/main.js', import.meta.url));
const run = promisify(execFile);
try {
  execFileSync(NGINX, ['-v'], { stdio: 'ignore' });
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (error) {
  if (error.code === 'ENOENT')
    usage('nginx or wrk is missing: run `bash tools/scripts/setup-nginx.sh` first', USAGE);
}
const [{ addFilesToIndex }, { freeLoopbackPort }] = await loadCompiled(
  ['@packyard/wheel-index', '@packyard/core'],
  'npx nx run pkg-index:compile',
);

// A sound wheel (RECORD with hashes), made with Python's standard library.
const WRITE_WHEEL = `
import base64, hashlib, sys, zipfile
name, version, path = sys.argv[1], sys.argv[2], sys.argv[3]
dist = name.replace("-", "_")
files = {
    dist + "/__init__.py": b"VALUE = 1\\n",
    "%s-%s.dist-info/METADATA" % (dist, version): ("Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (name, version)).encode(),
    "%s-%s.dist-info/WHEEL" % (dist, version): b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
rows = ["%s,sha256=%s,%d" % (n, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode(), len(d)) for n, d in files.items()]
record = "%s-%s.dist-info/RECORD" % (dist, version)
files[record] = ("\\n".join(rows + [record + ",,"]) + "\\n").encode()
with zipfile.ZipFile(path, "w") as z:
    for n, d in files.items():
        z.writestr(zipfile.ZipInfo(n, (2020, 1, 1, 0, 0, 0)), d)
`;

function freePortFrom(child, pattern) {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = pattern.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
}

// One GET on its own connection: the status and the body.
function getPage(url) {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString() }),
      );
    }).on('error', reject);
  });
}

async function wrk(url) {
  const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout);
  if (!rps) throw new Error(`wrk printed no rate:\n${stdout}`);
  return { rps: Number(rps[1]), errors: errors ? errors[0] : undefined };
}

const dir = await mkdtemp(join(tmpdir(), 'bench-pages-'));
const index = join(dir, 'index');
let serve;
let nginx;
try {
  // An index of `projects` projects with 5 versions each.
  const wheels = [];
  for (let p = 0; p < projects; p += 1) {
    for (let v = 0; v < 5; v += 1) {
      const name = `bench-pkg-${p}`;
      const path = join(dir, `${name.replace(/-/g, '_')}-1.${v}-py3-none-any.whl`);
      execFileSync('python3', ['-c', WRITE_WHEEL, name, `1.${v}`, path]);
      wheels.push(path);
    }
  }
  await addFilesToIndex(index, wheels);
  const page = '/simple/bench-pkg-0/';

  serve = spawn(process.execPath, [MAIN_JS, 'serve', '--port', '0', '--index-dir', index]);
  const servePort = await freePortFrom(serve, /at http:\/\/127\.0\.0\.1:(\d+)\//);

  const nginxPort = await freeLoopbackPort();
  await mkdir(join(dir, 'nginx'));
  const conf = join(dir, 'nginx', 'nginx.conf');
  await writeFile(
    conf,
    [
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'worker_processes 1;',
      'daemon off;',
      `pid ${join(dir, 'nginx', 'nginx.pid')};`,
      `error_log ${join(dir, 'nginx', 'error.log')};`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      '  include /etc/nginx/mime.types;',
      '  sendfile on;',
      `  client_body_temp_path ${join(dir, 'nginx')};`,
      `  proxy_temp_path ${join(dir, 'nginx')};`,
      `  fastcgi_temp_path ${join(dir, 'nginx')};`,
      `  uwsgi_temp_path ${join(dir, 'nginx')};`,
      `  scgi_temp_path ${join(dir, 'nginx')};`,
      `  server { listen 127.0.0.1:${nginxPort}; root ${index}; index index.html; }`,
      '}',
      '',
    ].join('\n'),
  );
  nginx = spawn(NGINX, ['-c', conf, '-p', join(dir, 'nginx')], { stdio: 'ignore' });
  // Up when it answers.
  for (let i = 0; ; i += 1) {
    const ok = await getPage(`http://127.0.0.1:${nginxPort}${page}`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (i > 200) throw new Error('nginx did not start');
    await sleep(50);
  }
  const same =
    (await getPage(`http://127.0.0.1:${nginxPort}${page}`)).body ===
    (await getPage(`http://127.0.0.1:${servePort}${page}`)).body;
  if (!same) throw new Error('nginx and pkg-index serve different bytes for the page');

  const packyard = [];
  const peer = [];
  for (let round = 0; round < rounds; round += 1) {
    // Alternate which side goes first.
    const order = round % 2 === 0 ? ['packyard', 'peer'] : ['peer', 'packyard'];
    for (const side of order) {
      const port = side === 'packyard' ? servePort : nginxPort;
      const result = await wrk(`http://127.0.0.1:${port}${page}`);
      if (result.errors) throw new Error(`${side}: ${result.errors}`);
      (side === 'packyard' ? packyard : peer).push(result.rps);
    }
  }
  const out = {
    bench: 'pkg-index-pages',
    page,
    seconds,
    connections,
    rounds,
    packyardRps: round3(median(packyard)),
    nginxRps: round3(median(peer)),
    ratio: round3(median(packyard) / median(peer)),
    sameBytes: same,
  };
  console.log(JSON.stringify(out));
  console.log(
    `GET ${page}: pkg-index serve ${out.packyardRps} req/s, nginx ${out.nginxRps} req/s (median of ${rounds} × ${seconds} s, ${connections} connections): ratio ${out.ratio} (higher is better)`,
  );
} finally {
  serve?.kill('SIGTERM');
  nginx?.kill('SIGQUIT');
  await sleep(200);
  await rm(dir, { recursive: true, force: true });
}
