/** The wheel-release command line: parse, plan, run, report; returns the exit code. */
export { main, wheelReleaseApp, planRequest, tagFromEnvironment } from './cli.js';
/** The CLI's process interface. */
export type { CliIo } from './cli.js';
/** Each command's result document, text and exit code. */
export { renderRelease, renderProblems } from './render.js';
