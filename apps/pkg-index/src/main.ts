#!/usr/bin/env node
import { main } from './cli.js';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());

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
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
