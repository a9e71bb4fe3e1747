/** One `version "X" { … }` block of a Hermit manifest. */
export interface HermitVersion {
  version: string;
  /** Hermit package references such as `python3@3.11`. */
  runtimeDependencies: string[];
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
