/** What one in-process CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The streams a CLI entry point writes to. */
export interface CapturedStreams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * Runs a CLI entry point in this process with its output captured: `start` gets the two streams
 * and returns the exit code (`main(args, { ...io, ...streams })`).
 */
export async function captureCli(start: (streams: CapturedStreams) => Promise<number>): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await start({
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

/**
 * Races a run against a hang guard: a run not finished after `ms` fails saying what hung and the last
 * lines it printed. Set `ms` far above any real duration, so only a hang trips it, never a slow machine.
 */
export async function withHangGuard<T>(
  running: Promise<T>,
  guard: { ms: number; what: string },
  lastOutput: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const last = lastOutput().trimEnd().split('\n').slice(-20).join('\n');
      reject(
        new Error(
          `${guard.what} hung: not finished after ${guard.ms / 60_000} minutes; its last output:\n${last}`,
        ),
      );
    }, guard.ms);
  });
  try {
    return await Promise.race([running, hung]);
  } finally {
    clearTimeout(timer);
  }
}
