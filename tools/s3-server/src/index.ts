export { provisionVersitygw, VERSITYGW_VERSION, type ProvisionVersitygwOptions } from './provision.js';
export { startS3Server, type S3Server, type S3ServerOptions } from './server.js';
export { allowPublicReads, publicReadPolicy, type AllowPublicReadsOptions } from './policy.js';
