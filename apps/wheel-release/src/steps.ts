import { join } from 'node:path';
import {
  assertVerified,
  planWheelBuilds,
  probeBuildHost,
  publishRelease,
  verifyRelease,
  type PublishResult as LibPublishResult,
  type VerifyInput,
  type VerifyProblem,
  type WheelBuildStep,
} from '@packyard/wheel-release';

// The steps the CLI composes, from @packyard/wheel-release, behind one small interface so the CLI's
// argument handling, output and exit codes can be tested with any implementation.

export type { VerifyInput, VerifyProblem, WheelBuildStep };

/** The outcome of verify as the CLI shows it: the file names of the set, what is wrong, what ran. */
export interface VerifyResult {
  files: string[];
  problems: VerifyProblem[];
  checks: string[];
}

/** What publish uploads (file names in `dir`), and where: an index, or a local directory index. */
export interface PublishInput {
  dir: string;
  files: string[];
  repositoryUrl?: string;
  indexUrl?: string;
  /** A PEP 503/691 static index in this directory instead of an upload: needs no account or token. */
  repositoryDir?: string;
  dryRun?: boolean;
  log?: (line: string) => void;
  home?: string;
  env?: Record<string, string | undefined>;
}

/** The outcome of publish. */
export type PublishResult = Pick<LibPublishResult, 'uploaded' | 'skipped' | 'checked'> &
  Partial<Pick<LibPublishResult, 'destination' | 'auth'>>;

/** The build plan: this machine's platform, and how each platform's wheel gets built. */
export interface BuildPlan {
  host: string;
  builds: WheelBuildStep[];
}

/** The release steps the CLI calls. */
export interface Steps {
  verifyRelease(input: VerifyInput): Promise<VerifyResult>;
  assertVerified(result: VerifyResult): void;
  publishRelease(input: PublishInput): Promise<PublishResult>;
  planWheelBuilds(platforms: readonly string[]): Promise<BuildPlan>;
}

/** The release steps of @packyard/wheel-release. */
export const defaultSteps: Steps = {
  verifyRelease: async (input) => {
    const result = await verifyRelease(input);
    return { files: result.files.map((f) => f.name), problems: result.problems, checks: result.checks };
  },
  assertVerified: (result) => assertVerified({ ...result, files: [] }),
  publishRelease: (input) =>
    publishRelease({
      files: input.files.map((name) => join(input.dir, name)),
      destination:
        input.repositoryDir !== undefined
          ? { directory: input.repositoryDir }
          : {
              ...(input.repositoryUrl === undefined ? {} : { repositoryUrl: input.repositoryUrl }),
              ...(input.indexUrl === undefined ? {} : { indexUrl: input.indexUrl }),
            },
      ...(input.dryRun === undefined ? {} : { dryRun: input.dryRun }),
      ...(input.env === undefined ? {} : { env: input.env }),
      ...(input.home === undefined ? {} : { home: input.home }),
      ...(input.log === undefined ? {} : { log: input.log }),
    }),
  planWheelBuilds: async (platforms) => {
    const host = await probeBuildHost();
    return { host: host.platform, builds: planWheelBuilds(platforms, host) };
  },
};
