// `nx run s3-server:fixtures`: the pinned versitygw, built once with go into dist/fixtures/s3-server
// (Nx caches it), for every suite that starts an S3 server (`startS3Server({ binary })`).
import { buildFixtures } from '@packyard/core/testing';
import { provisionVersitygw, VERSITYGW_VERSION } from '../src/index.js';

await buildFixtures('s3-server', async (dir) => {
  await provisionVersitygw({ home: `${dir}/home`, log: (line) => console.log(line) });
  return { versitygw: `home/tools/versitygw-${VERSITYGW_VERSION}/versitygw` };
});
