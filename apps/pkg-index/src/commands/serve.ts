import { resolve } from 'node:path';
import { EXIT, PackyardError, whenAborted, type CommandContext } from '@packyard/core';
import type { ServeConfig } from '@packyard/pkg-index-pipeline';
import { parseCount, pipeline, type CliIo } from './shared.js';

/** `pkg-index serve`: index-server over the directory until SIGINT/SIGTERM. */
export async function runServeCommand(c: CommandContext, io: CliIo): Promise<number> {
  const indexDir = resolve(c.cwd, c.required('index-dir'));
  const configFile = c.string('config');
  const host = c.string('host') ?? '127.0.0.1';
  const port = parseCount(c, 'port', 8080, 0, 65535);
  const [{ readServeConfig, addFilesToIndex }, { startIndexServer }] = await Promise.all([
    pipeline(),
    import('../serve.js'),
  ]);
  const config: ServeConfig | undefined =
    configFile === undefined ? undefined : await readServeConfig(resolve(c.cwd, configFile));
  const running = await startIndexServer({
    indexDir,
    config,
    host,
    port,
    addFilesToIndex: io.addFilesToIndex ?? addFilesToIndex,
    log: (line) => c.log.info(line),
  });
  // Printed at once (the server runs until stopped): scripts read the URL from it.
  io.stdout(
    `serving ${indexDir} at ${running.url}/simple/ (uploads: ${config?.users.size ? `${running.url}/` : 'disabled'})\n`,
  );
  await whenAborted(io.stopSignal?.());
  await running.close();
  return EXIT.ok;
}

/** `pkg-index hash-password`: the first line of stdin → a bcrypt hash for the serve config. */
export async function runHashPasswordCommand(c: CommandContext, io: CliIo): Promise<number> {
  const cost = parseCount(c, 'cost', 12, 4, 31);
  const text = io.readStdin ? await io.readStdin() : '';
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password === '') {
    throw new PackyardError('CONFIG_INVALID', 'no password on standard input', {
      hint: 'pipe it in: printf \'%s\' "$PASSWORD" | pkg-index hash-password',
    });
  }
  const { hashPassword } = await pipeline();
  io.stdout(`${await hashPassword(password, cost)}\n`);
  return EXIT.ok;
}
