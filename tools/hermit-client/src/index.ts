export {
  provisionHermit,
  emulatedHermit,
  hostArch,
  PINNED_HERMIT_VERSION,
  HERMIT_MODULE_DIR,
  type HermitArch,
  type HermitClient,
  type ProvisionHermitOptions,
} from './provision.js';
export {
  createHermitEnvironment,
  type HermitEnvironment,
  type HermitEnvironmentOptions,
  type HermitRun,
} from './environment.js';
export {
  writePythonStandIn,
  pythonMinors,
  type PythonStandIn,
  type PythonStandInOptions,
} from './python-stand-in.js';
