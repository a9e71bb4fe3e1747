export {
  PINNED_TOOLS,
  provisionTools,
  defaultPackyardHome,
  toolsVenvName,
  toolCacheEnv,
  toolEnv,
  type Tools,
  type ProvisionToolsOptions,
} from './tools.js';
export { TOOLS_MARKER } from './venv.js';
export { provisionOnce, type ProvisionOnceSpec } from './once.js';
export { provisionGoTool, type GoTool, type ProvisionGoToolOptions } from './go-tools.js';
export {
  PINNED_PYTHON_TOOLS,
  provisionPythonTools,
  pythonToolsVenvName,
  type PythonToolName,
  type PythonToolSet,
  type ToolCommand,
  type ProvisionPythonToolsOptions,
} from './python-tools.js';
export { readInterpreterInfo, type InterpreterInfo } from './interpreter.js';
export { runPythonWith, type RunPythonWithOptions } from './run-with.js';
