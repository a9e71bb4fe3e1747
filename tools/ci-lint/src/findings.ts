import { PackyardError } from '@packyard/core';

/** The linters ci-lint runs. */
export type LinterName = 'actionlint' | 'zizmor';

/** One problem a linter reported, at a 1-based line and column of a root-relative file. */
export interface Finding {
  tool: LinterName;
  file: string;
  line: number;
  column: number;
  /** actionlint's kind (`expression`, `runner-label`, `shellcheck`, …) or zizmor's audit id. */
  rule: string;
  message: string;
  /** zizmor's severity and confidence, e.g. `high/high`; actionlint has none. */
  severity?: string;
}

/** What one linter said about a set of files. */
export interface LintReport {
  tool: LinterName;
  version: string;
  files: string[];
  exitCode: number;
  findings: Finding[];
}

interface ActionlintError {
  message: string;
  filepath: string;
  line: number;
  column: number;
  kind: string;
}

/** Parses `actionlint -format '{{json .}}'` output (a JSON array of errors). Pure. */
export function parseActionlintOutput(stdout: string): Finding[] {
  const errors = parseJsonArray(stdout, 'actionlint') as ActionlintError[];
  return errors.map((e) => ({
    tool: 'actionlint',
    file: e.filepath,
    line: e.line,
    column: e.column,
    rule: e.kind,
    message: e.message,
  }));
}

interface ZizmorLocation {
  symbolic: {
    kind: string;
    annotation: string;
    key: { Local?: { verbatim_path?: string; given_path?: string } } | string;
  };
  concrete: { location: { start_point: { row: number; column: number } } };
}

interface ZizmorFinding {
  ident: string;
  desc: string;
  determinations: { confidence: string; severity: string };
  locations: ZizmorLocation[];
  ignored: boolean;
}

/**
 * Parses `zizmor --format json` (v1) output: one finding per audit hit, placed at its primary
 * location (zizmor's rows and columns are 0-based). Findings the configuration ignores are dropped.
 * Pure. https://docs.zizmor.sh/usage/#output-formats
 */
export function parseZizmorOutput(stdout: string): Finding[] {
  const findings = parseJsonArray(stdout, 'zizmor') as ZizmorFinding[];
  return findings
    .filter((f) => !f.ignored)
    .map((f) => {
      const primary = f.locations.find((l) => l.symbolic.kind === 'Primary') ?? f.locations[0];
      const key = primary?.symbolic.key;
      const file =
        typeof key === 'object' ? (key.Local?.verbatim_path ?? key.Local?.given_path ?? '') : (key ?? '');
      const start = primary?.concrete.location.start_point ?? { row: 0, column: 0 };
      const annotation = primary?.symbolic.annotation;
      return {
        tool: 'zizmor',
        file,
        line: start.row + 1,
        column: start.column + 1,
        rule: f.ident,
        message: annotation ? `${f.desc}: ${annotation}` : f.desc,
        severity: `${f.determinations.severity}/${f.determinations.confidence}`.toLowerCase(),
      };
    });
}

/** One line per finding (`file:line:col: tool rule: message`), then one summary line per linter. Pure. */
export function renderLintReports(reports: readonly LintReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    for (const f of report.findings) {
      const severity = f.severity ? ` (${f.severity})` : '';
      lines.push(`${f.file}:${f.line}:${f.column}: ${f.tool} ${f.rule}${severity}: ${f.message}`);
    }
  }
  for (const report of reports) {
    const count = report.findings.length;
    lines.push(
      `${report.tool} ${report.version}: ${report.files.length} file(s), ${count} finding${count === 1 ? '' : 's'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function parseJsonArray(stdout: string, tool: LinterName): unknown[] {
  const text = stdout.trim();
  // Both print nothing at all when given nothing to report on some paths; that is an empty list.
  if (text === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PackyardError('TOOL_FAILED', `${tool} printed output that is not JSON`, {
      value: text.slice(0, 200),
      cause: error,
    });
  }
  if (!Array.isArray(parsed)) {
    throw new PackyardError('TOOL_FAILED', `${tool} printed JSON that is not a list of findings`, {
      value: text.slice(0, 200),
    });
  }
  return parsed;
}
