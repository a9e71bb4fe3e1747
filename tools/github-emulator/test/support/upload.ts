// Uploads that die mid-body, the way a crashed client or a dropped connection does.
import { request } from 'node:http';
import type { GitHubEmulator } from '../../src/index.js';
import { waitFor } from './wait.js';

/**
 * Starts an upload declaring `declared` bytes, sends `sent` of them, then destroys the connection. Resolves
 * once the emulator has logged the upload (it registers the `starter` asset in the same step).
 */
export async function sendPartialUpload(
  emulator: GitHubEmulator,
  url: string,
  token: string,
  sent = 10,
  declared = 1000,
): Promise<void> {
  const before = emulator.requests().length;
  await new Promise<void>((resolve) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        authorization: `token ${token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(declared),
      },
    });
    req.on('error', () => resolve());
    req.write(Buffer.alloc(sent), () => {
      req.destroy();
      resolve();
    });
  });
  await waitFor(() =>
    emulator
      .requests()
      .slice(before)
      .some((entry) => entry.host === 'uploads'),
  );
}
