/**
 * The PEP 503 normal form of a Python project name: runs of `-`, `_`, `.` become one `-`,
 * lower-cased (https://peps.python.org/pep-0503/#normalized-names). Pure.
 */
export function normalizeProjectName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}
