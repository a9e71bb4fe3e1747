// `nx run hermit-client:fixtures`: the pinned Hermit client, built once with go into
// dist/fixtures/hermit-client (Nx caches it), for every suite that installs manifests with it.
import { buildFixtures } from '@packyard/core/testing';
import { PINNED_HERMIT_VERSION, provisionHermit } from '../src/index.js';

await buildFixtures('hermit-client', async (dir) => {
  await provisionHermit({ home: `${dir}/home`, log: (line) => console.log(line) });
  return { hermit: `home/tools/hermit-${PINNED_HERMIT_VERSION}/hermit` };
});
