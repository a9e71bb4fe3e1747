export { main, MIP_PUBLISH, renderSummary, type Io } from './cli.js';
