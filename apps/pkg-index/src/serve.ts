// The index server lives in @packyard/index-server; the CLI starts it from here.
export {
  createIndexServer,
  startIndexServer,
  checkUploadForm,
  projectOfFilename,
  negotiateSimpleFormat,
  recoverIndexDir,
  inspectIndexTree,
  describeFinding,
  type IndexServerOptions,
  type RunningIndexServer,
  type UploadForm,
  type SimpleFormat,
} from '@packyard/index-server';
