import { isPackyardError } from '@packyard/core';
import { parseActionlintOutput, parseZizmorOutput, renderLintReports } from '../src/findings.js';

// Shapes as actionlint 1.7.12 (`-format '{{json .}}'`) and zizmor 1.32.0 (`--format json`) print them;
// the live tests in lint.test.ts run the real tools.
const actionlintJson = JSON.stringify([
  {
    message: 'label "nope" is unknown',
    filepath: '.github/workflows/a.yml',
    line: 7,
    column: 14,
    kind: 'runner-label',
    snippet: '    runs-on: nope',
    end_column: 17,
  },
]);

function zizmorFinding(overrides: { ignored?: boolean; row?: number; kind?: string } = {}) {
  return {
    ident: 'template-injection',
    desc: 'code injection via template expansion',
    url: 'https://docs.zizmor.sh/audits/#template-injection',
    determinations: { confidence: 'High', severity: 'High', persona: 'Regular' },
    locations: [
      {
        symbolic: {
          key: { Local: { verbatim_path: '.github/workflows/a.yml' } },
          annotation: 'this step',
          kind: 'Related',
        },
        concrete: { location: { start_point: { row: 8, column: 6 } } },
      },
      {
        symbolic: {
          key: { Local: { verbatim_path: '.github/workflows/a.yml' } },
          annotation: 'may expand into attacker-controllable code',
          kind: overrides.kind ?? 'Primary',
        },
        concrete: { location: { start_point: { row: overrides.row ?? 9, column: 23 } } },
      },
    ],
    ignored: overrides.ignored ?? false,
  };
}

test('actionlint errors become findings with the kind as the rule', () => {
  expect(parseActionlintOutput(actionlintJson)).toEqual([
    {
      tool: 'actionlint',
      file: '.github/workflows/a.yml',
      line: 7,
      column: 14,
      rule: 'runner-label',
      message: 'label "nope" is unknown',
    },
  ]);
});

test("zizmor findings are placed at their primary location, converted from zizmor's 0-based rows", () => {
  const [finding] = parseZizmorOutput(JSON.stringify([zizmorFinding({ row: 9 })]));

  expect(finding).toEqual({
    tool: 'zizmor',
    file: '.github/workflows/a.yml',
    line: 10,
    column: 24,
    rule: 'template-injection',
    message: 'code injection via template expansion: may expand into attacker-controllable code',
    severity: 'high/high',
  });
});

test('zizmor findings the configuration ignores are dropped', () => {
  const findings = parseZizmorOutput(
    JSON.stringify([zizmorFinding({ ignored: true }), zizmorFinding({ row: 3 })]),
  );

  expect(findings.map((f) => f.line)).toEqual([4]);
});

test('empty output is an empty list; output that is not a JSON list is a tool failure', () => {
  expect(parseActionlintOutput('')).toEqual([]);
  expect(parseZizmorOutput('[]\n')).toEqual([]);

  for (const text of ['not json', '{"message": "x"}']) {
    let caught: unknown;
    try {
      parseZizmorOutput(text);
    } catch (error) {
      caught = error;
    }
    expect(isPackyardError(caught, 'TOOL_FAILED')).toBe(true);
  }
});

test('the report lists each finding with its place, then one summary line per linter', () => {
  const text = renderLintReports([
    {
      tool: 'actionlint',
      version: '1.7.12',
      files: ['.github/workflows/a.yml'],
      exitCode: 1,
      findings: parseActionlintOutput(actionlintJson),
    },
    { tool: 'zizmor', version: '1.32.0', files: ['.github/workflows/a.yml'], exitCode: 0, findings: [] },
  ]);

  expect(text.split('\n')).toEqual([
    '.github/workflows/a.yml:7:14: actionlint runner-label: label "nope" is unknown',
    'actionlint 1.7.12: 1 file(s), 1 finding',
    'zizmor 1.32.0: 1 file(s), 0 findings',
    '',
  ]);
});
