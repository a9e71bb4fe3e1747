import { spawn } from 'node:child_process';
import { canConnect, freeLoopbackPort, stopChild, waitUntilServing } from '../src/index.js';

const SERVE = (port: number): string =>
  `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;

describe('loopback servers', () => {
  it('waits for a child to serve on a free port, then stops it', async () => {
    const port = await freeLoopbackPort();
    expect(await canConnect(port)).toBe(false);
    const child = spawn(process.execPath, ['-e', SERVE(port)], { stdio: 'ignore' });
    await waitUntilServing({ child, port, name: 'node', logFile: '-', timeoutMs: 600_000 });
    expect(await canConnect(port)).toBe(true);
    await stopChild(child, 'SIGTERM');
    expect(child.signalCode).toBe('SIGTERM');
    expect(await canConnect(port)).toBe(false);
    await stopChild(child, 'SIGKILL'); // already gone: nothing to do
  });

  it('names the server and its log when the child exits before serving', async () => {
    const port = await freeLoopbackPort();
    const child = spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
    await expect(
      waitUntilServing({ child, port, name: 'broken', logFile: '/tmp/broken.log', timeoutMs: 600_000 }),
    ).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: `broken exited (3) before serving 127.0.0.1:${port}`,
      file: '/tmp/broken.log',
    });
  });
});
