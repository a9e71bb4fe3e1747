#!/usr/bin/env bash
# Scaffolds a package under libs/ or apps/ with packyard's conventions:
# ESM TypeScript, an exports map, Nx targets from package.json scripts, Jest through the shared preset.
# usage: tools/new-project.sh libs|apps <name> "<one-line description>"
set -euo pipefail
kind=$1 name=$2 desc=$3
dir="$(cd "$(dirname "$0")/.." && pwd)/$kind/$name"
[ -e "$dir" ] && { echo "$dir exists" >&2; exit 1; }
mkdir -p "$dir/src" "$dir/test"
cat > "$dir/package.json" <<JSON
{
  "name": "@packyard/$name",
  "version": "0.1.0",
  "description": "$desc",
  "type": "module",
  "license": "Apache-2.0",
  "main": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": {
    ".": { "types": "./dist/index.d.ts", "import": "./dist/index.js" },
    "./package.json": "./package.json"
  },
  "files": ["dist", "README.md"],
  "scripts": {
    "compile": "tsc -p tsconfig.lib.json",
    "typecheck": "tsc -p tsconfig.json --noEmit",
    "test": "mkdir -p ../../dist/test-results/@packyard && node --experimental-vm-modules --no-warnings=ExperimentalWarning ../../node_modules/jest/bin/jest.js --json --outputFile=../../dist/test-results/\$npm_package_name.json"
  },
  "dependencies": {}
}
JSON
cat > "$dir/tsconfig.lib.json" <<'JSON'
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "rootDir": "src", "outDir": "dist", "tsBuildInfoFile": "dist/.tsbuildinfo" },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.test.ts"]
}
JSON
cat > "$dir/tsconfig.json" <<'JSON'
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": {
    "noEmit": true,
    "types": ["node", "jest"],
    "paths": { "@packyard/*": ["../../libs/*/src/index.ts"] }
  },
  "include": ["src/**/*.ts", "test/**/*.ts"]
}
JSON
cat > "$dir/tsconfig.spec.json" <<'JSON'
{
  "extends": "./tsconfig.json",
  "compilerOptions": { "isolatedModules": true }
}
JSON
cat > "$dir/jest.config.js" <<'JS'
import { jestConfig } from '../../jest.preset.js';

export default jestConfig(import.meta.dirname);
JS
echo "$dir"
