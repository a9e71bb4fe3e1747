export { main, dynamicArchivesApp, type CliIo } from './cli.js';
