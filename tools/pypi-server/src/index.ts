export {
  provisionPypiServer,
  PYPISERVER_VERSION,
  PYPISERVER_PINS,
  type ProvisionPypiServerOptions,
  type PypiServerInstall,
} from './provision.js';
export { startPypiServer, htpasswdLine, type PypiServer, type PypiServerOptions } from './server.js';
export {
  startTrustedPublishing,
  GITHUB_ACTIONS_ISSUER,
  type TrustedPublisher,
  type TrustedPublishing,
  type TrustedPublishingOptions,
  type ActionsJob,
} from './oidc.js';
