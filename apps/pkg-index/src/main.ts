#!/usr/bin/env node
import { main } from './cli.js';

const controller = new AbortController();
// `on`, not `once`: signal-exit (loaded with the index's writers) re-raises a signal when only its
// own listeners are left, which would kill the process before serve has closed.
const stop = (): void => controller.abort();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, stop);

process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signal: controller.signal,
  readStdin: async () => {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text;
  },
});
// serve leaves nothing pending once closed, but a signal handler keeps the loop alive otherwise.
process.off('SIGINT', stop);
process.off('SIGTERM', stop);
