export { main, exitCodeForError, EXIT, USAGE, type CliIo } from './cli.js';
