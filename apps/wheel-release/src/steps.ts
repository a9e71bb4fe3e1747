import { PackyardError } from '@packyard/core';

// The steps the CLI composes that live in @packyard/wheel-release's verify, publish and build-plan
// modules, behind one small interface so the CLI can be tested with any implementation.

/** What `verifyRelease` checks: the release's files in `dir` against release.yaml. */
export interface VerifyInput {
  dir: string;
  version: string;
  wheels: { project: string; platforms: string[]; binaries: string[] };
  sdist: { project: string; command: string };
  gitSha?: string;
  installTest?: boolean;
  home?: string;
  log?: (line: string) => void;
}

/** One check `verifyRelease` ran, and what it found. */
export interface VerifyProblem {
  file?: string;
  check?: string;
  message: string;
}

/** The outcome of `verifyRelease`: the files of the set, what is wrong, what was checked. */
export interface VerifyResult {
  files: string[];
  problems: VerifyProblem[];
  checks: unknown[];
}

/** What `publishRelease` uploads, and where (credentials come from `env`). */
export interface PublishInput {
  dir: string;
  files: string[];
  repositoryUrl?: string;
  indexUrl?: string;
  dryRun?: boolean;
  log?: (line: string) => void;
  home?: string;
  env?: Record<string, string | undefined>;
}

/** The outcome of `publishRelease`. */
export interface PublishResult {
  uploaded: string[];
  skipped: string[];
  checked: string[];
}

/** One row of the build plan: how a platform's wheel gets built, and on which runner. */
export interface WheelBuildPlan {
  platform: string;
  how: 'cross' | 'native';
  runner: string;
  target?: string;
  reason?: string;
}

/** The release steps the CLI calls. */
export interface Steps {
  verifyRelease(input: VerifyInput): Promise<VerifyResult>;
  assertVerified(result: VerifyResult): void;
  publishRelease(input: PublishInput): Promise<PublishResult>;
  planWheelBuilds(platforms: readonly string[]): WheelBuildPlan[];
}

function notWired(step: string): PackyardError {
  return new PackyardError('INTERNAL', `${step}: not wired`);
}

/** The release steps of @packyard/wheel-release. */
export const defaultSteps: Steps = {
  verifyRelease: () => Promise.reject(notWired('verifyRelease')),
  assertVerified: () => {
    throw notWired('assertVerified');
  },
  publishRelease: () => Promise.reject(notWired('publishRelease')),
  planWheelBuilds: () => {
    throw notWired('planWheelBuilds');
  },
};
