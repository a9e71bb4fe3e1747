/** One file as a project page lists it: the record a PEP 691 JSON page holds for it. */
export interface IndexEntry {
  filename: string;
  /** Where the file is fetched from, without a fragment: relative to the project page, or absolute. */
  url: string;
  /** The PEP 440 normal form of the file's version. */
  version: string;
  /** Hash name → lower-case hex digest (`sha256` whenever packyard read the file itself). */
  hashes: Record<string, string>;
  /** The Requires-Python specifier, unescaped. */
  requiresPython?: string;
  /** PEP 658/714: `true`, or the hashes of the `<url>.metadata` file. Absent: no metadata file. */
  coreMetadata?: true | Record<string, string>;
  /** PEP 592: absent when not yanked; `true`, or the reason. */
  yanked?: true | string;
  /** PEP 700: bytes. */
  size?: number;
  /** PEP 700: `yyyy-mm-ddThh:mm:ss.ffffffZ`. */
  uploadTime?: string;
}

/** PEP 792 project status markers that an index directory can carry. */
export type ProjectStatus = 'active' | 'archived' | 'deprecated';

/** A project page before rendering: the normalised name and its files in index order. */
export interface ProjectPage {
  name: string;
  files: IndexEntry[];
  /** PEP 792: absent means active. */
  status?: { status: ProjectStatus; reason?: string };
}
