import { buildWheels, probeBuildHost, type BuildHost, type BuildWheelsInput } from './build.js';
import { publishRelease, type PublishReleaseInput, type PublishResult } from './publish.js';
import { buildSdist, type BuildSdistInput } from './sdist.js';
import { verifyRelease, type VerifyInput, type VerifyResult } from './verify.js';

/**
 * The I/O a release plan and its steps go through: the toolchain probe, the builders, verification and
 * publishing. `defaultReleaseServices` is the real thing; a caller (or a test of its command line)
 * may replace any of them.
 */
export interface ReleaseServices {
  probeBuildHost(): Promise<BuildHost>;
  buildWheels(input: BuildWheelsInput): Promise<string[]>;
  buildSdist(input: BuildSdistInput): Promise<string>;
  verifyRelease(input: VerifyInput): Promise<VerifyResult>;
  publishRelease(input: PublishReleaseInput): Promise<PublishResult>;
}

/** The real services: maturin, python -m build, twine and the index, as @packyard/wheel-release runs them. */
export const defaultReleaseServices: ReleaseServices = {
  probeBuildHost,
  buildWheels,
  buildSdist,
  verifyRelease,
  publishRelease,
};
