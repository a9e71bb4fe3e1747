/** A wheel file name taken apart, with its compressed tag sets expanded. */
export interface WheelFilename {
  name: string;
  version: string;
  build?: string;
  /** Every `python-abi-platform` tag the wheel supports, lower case, in file-name order. */
  tags: string[];
}

/**
 * Parses `name-version(-build)?-pyTag-abiTag-platTag.whl` (PEP 427), expanding compressed tag sets
 * (`py2.py3-none-any`, `cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64`) into single tags
 * (PEP 425). Undefined when `filename` is not a wheel name. Pure.
 */
export function parseWheelFilename(filename: string): WheelFilename | undefined {
  // https://packaging.python.org/en/latest/specifications/binary-distribution-format/#file-name-convention
  if (!filename.endsWith('.whl')) return undefined;
  const parts = filename.slice(0, -'.whl'.length).split('-');
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  if (parts.some((part) => part === '')) return undefined;
  const [name, version] = parts as [string, string];
  const build = parts.length === 6 ? parts[2] : undefined;
  // The build tag must start with a digit; anything else means the name was not escaped (a dash in it).
  if (build !== undefined && !/^\d/.test(build)) return undefined;
  const [python, abi, platform] = parts.slice(-3) as [string, string, string];
  // https://peps.python.org/pep-0425/#compressed-tag-sets
  const tags: string[] = [];
  for (const p of python.toLowerCase().split('.'))
    for (const a of abi.toLowerCase().split('.'))
      for (const plat of platform.toLowerCase().split('.')) tags.push(`${p}-${a}-${plat}`);
  if (tags.some((tag) => tag.split('-').some((part) => part === ''))) return undefined;
  return { name, version, ...(build === undefined ? {} : { build }), tags };
}

/** True when one of the wheel's tags is in `compatibleTags` (a platform's PEP 425 tag list). Pure. */
export function isWheelCompatible(wheel: WheelFilename, compatibleTags: ReadonlySet<string>): boolean {
  return wheel.tags.some((tag) => compatibleTags.has(tag));
}
