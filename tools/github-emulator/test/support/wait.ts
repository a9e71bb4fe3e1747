// Waits for a condition the emulator reaches asynchronously (e.g. a dropped upload being registered).

/**
 * Polls `condition` until it holds, however long a busy machine takes; jest's test timeout is the
 * only hang guard (a count of tries would be a time limit, and fail on a slow machine).
 */
export async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}
