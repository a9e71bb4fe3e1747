/** One distribution file listed on a project page. */
export interface IndexFile {
  filename: string;
  /** Absolute download URL (relative hrefs resolved against the page), without the hash fragment. */
  url: string;
  /** Normalised PEP 440 version taken from the filename. */
  version: string;
  /** PEP 592: false, true, or the reason given by the index. */
  yanked: boolean | string;
  requiresPython?: string;
  sha256?: string;
}

/** What an index says about one project, filtered and ordered by PEP 440. */
export interface ProjectVersions {
  /** The name as asked. */
  project: string;
  /** PEP 503 normalised name. */
  normalizedName: string;
  /** The index base that answered. */
  indexUrl: string;
  /** PEP 440 ascending, de-duplicated; without yanked versions and, unless asked, pre-/dev-releases. */
  versions: string[];
  /** Versions all of whose files are yanked (PEP 592), ascending. */
  yanked: string[];
  /** Files of the versions in `versions` and `yanked`, in index order. */
  files: IndexFile[];
}

/** Filters for listing versions. */
export interface ListVersionsOptions {
  includePrereleases?: boolean;
  /** Inclusive PEP 440 lower bound (`1.0` equals `1.0.0`). */
  minVersion?: string;
}
