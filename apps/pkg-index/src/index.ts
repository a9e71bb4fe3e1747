// The command line. The pipeline it wires is @packyard/pkg-index-pipeline; the server, @packyard/index-server.
export { main, pkgIndexApp, type CliIo } from './cli.js';
export { DEFAULT_AUTHOR, hashPassword } from '@packyard/pkg-index-pipeline';
