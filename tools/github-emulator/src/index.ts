export {
  startGitHubEmulator,
  type EmulatorOptions,
  type GitHubEmulator,
  type RequestLogEntry,
} from './emulator.js';
export type { EmulatorHost, FaultSpec } from './faults.js';
