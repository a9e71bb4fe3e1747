// Waits for a condition the emulator reaches asynchronously (e.g. a dropped upload being registered).

/** Polls `condition` until it holds; fails after `attempts` tries so a broken emulator cannot hang a test. */
export async function waitFor(condition: () => boolean | Promise<boolean>, attempts = 500): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition never held');
}
