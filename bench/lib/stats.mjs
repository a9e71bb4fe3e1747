// Helpers every benchmark shares: summary statistics and command-line checks.

/** The median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A number rounded to three decimals, for reports. */
export function round3(value) {
  return Math.round(value * 1000) / 1000;
}

/** Exits with code 2, the message and the usage line. */
export function usage(message, usageLine) {
  console.error(`${message}\nusage: ${usageLine}`);
  process.exit(2);
}

/** `raw` as a positive integer; exits through `usage` otherwise. */
export function positiveInteger(name, raw, usageLine) {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    usage(`--${name} must be a positive integer, got ${raw}`, usageLine);
  return value;
}
