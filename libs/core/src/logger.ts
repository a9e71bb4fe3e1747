/**
 * Where a library or pipeline sends lines meant for the user; the app decides how they are shown
 * (a terminal, CI's log, nothing). A part that never warns takes `Pick<Logger, 'info' | 'error'>`.
 */
export interface Logger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}
