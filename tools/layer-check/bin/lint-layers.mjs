#!/usr/bin/env node
// Runs ESLint's Node API on a workspace and prints, as JSON, the messages of the layer rule (and
// files ESLint could not parse). Its own process, so that the config's project-graph step loads
// Nx plugins through Node's loader whatever the caller runs in (jest's module system cannot).
//   lint-layers.mjs <root>   with on stdin {"files": [pattern...], "texts": [{"code", "filePath"}...]}
//   prints                   {"files": [violation...], "texts": [[violation...]...]}
import { ESLint } from 'eslint';

const RULE = '@nx/enforce-module-boundaries';
const root = process.argv[2];
let input = '';
for await (const chunk of process.stdin) input += chunk;
const { files = [], texts = [] } = JSON.parse(input);

const eslint = new ESLint({ cwd: root, errorOnUnmatchedPattern: false });
const violations = (results) =>
  results.flatMap((result) =>
    result.messages
      .filter((m) => m.ruleId === RULE || m.fatal === true)
      .map((m) => ({
        file: result.filePath.startsWith(`${root}/`)
          ? result.filePath.slice(root.length + 1)
          : result.filePath,
        line: m.line,
        message: m.message,
      })),
  );
const output = {
  files: files.length === 0 ? [] : violations(await eslint.lintFiles(files)),
  texts: [],
};
for (const { code, filePath } of texts) {
  output.texts.push(violations(await eslint.lintText(code, { filePath: `${root}/${filePath}` })));
}
process.stdout.write(`${JSON.stringify(output)}\n`);
