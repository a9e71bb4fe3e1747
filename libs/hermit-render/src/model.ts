/** The platforms Hermit installs on (its `platform.All`), as `<os>-<arch>`; a version lists all of them unless it says otherwise. */
export const HERMIT_PLATFORMS: readonly string[] = Object.freeze([
  'darwin-amd64',
  'darwin-arm64',
  'linux-amd64',
  'linux-arm64',
]);

/** One `version "X" { … }` block of a Hermit manifest. */
export interface HermitVersion {
  version: string;
  /** Hermit package references such as `python3@3.11`. */
  runtimeDependencies: string[];
  /**
   * The `<os>-<arch>` platforms this version has a download for. Absent means every one of
   * {@link HERMIT_PLATFORMS}; otherwise only these get a `source`, so Hermit reports the others as
   * unsupported instead of failing on a file that does not exist.
   */
  platforms?: string[];
}

/** The subset of a Hermit package manifest that packyard generates (https://cashapp.github.io/hermit/packaging/schema/manifest/). */
export interface HermitManifest {
  description: string;
  binaries: string[];
  test?: string;
  repository?: string;
  /** Download URL; `${version}`, `${os}` and `${arch}` are Hermit variables and stay live in the HCL. */
  source: string;
  versions: HermitVersion[];
  /** Full download URL → sha256 hex digest. */
  sha256sums: Record<string, string>;
}
