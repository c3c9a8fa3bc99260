// Lints AppSync APPSYNC_JS code with AWS's own rules (@aws-appsync/eslint-plugin, "recommended"), so
// that code AppSync would refuse (try/catch, while, regex literals, classes, async, ++, recursion,
// unsupported built-in methods, functions passed around...) fails here before it is deployed. Two
// ESLint core rules add what the plugin leaves out: `throw`, and free names such as process or fetch.
//
// Usage: node lint.mjs FILE_OR_DIRECTORY...   (directories: every .js file in them, recursively)
// Prints one JSON object per problem ({"file", "line", "column", "rule", "message"}) and exits 1 if
// there is any, 0 if there is none, 2 if it could not lint. Needs `npm ci` in this directory first.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import appsync from '@aws-appsync/eslint-plugin';
import { Linter } from 'eslint';
import ts from 'typescript';

const HERE = dirname(fileURLToPath(import.meta.url));
const UTILS_TYPES = join(HERE, 'node_modules', '@aws-appsync', 'utils');

function javascriptFiles(target) {
  const path = resolve(target);
  if (!statSync(path).isDirectory()) {
    return [path];
  }
  return readdirSync(path, { recursive: true })
    .filter((entry) => entry.endsWith('.js'))
    .map((entry) => join(path, entry))
    .sort();
}

/**
 * The TypeScript program the recommended rules read types from (they tell a string's padStart from
 * an unknown object's). The resolvers import @aws-appsync/utils, whose type definitions live here
 * rather than beside them, so the import is mapped to this directory's copy.
 */
function typeProgram(files) {
  return ts.createProgram(files, {
    allowJs: true,
    checkJs: false,
    noEmit: true,
    target: ts.ScriptTarget.ES2020,
    lib: ['lib.es2020.d.ts'],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
    paths: {
      '@aws-appsync/utils': [UTILS_TYPES],
      '@aws-appsync/utils/*': [`${UTILS_TYPES}/*`],
    },
  });
}

function lint(files) {
  const recommended = appsync.configs.recommended;
  const config = [
    {
      ...recommended,
      files: ['**/*.js'],
      languageOptions: {
        ...recommended.languageOptions,
        ecmaVersion: 2020,
        sourceType: 'module',
        parserOptions: { programs: [typeProgram(files)] },
        // APPSYNC_JS code runs with the language's built-ins and console only (no Node.js or browser
        // globals), so any other free name is a mistake that AppSync would only report at run time.
        globals: { console: 'readonly' },
      },
      rules: {
        ...recommended.rules,
        'no-undef': 'error',
        // The runtime's documentation lists `throw` as unsupported, but the plugin has no rule for it.
        'no-restricted-syntax': [
          'error',
          { selector: 'ThrowStatement', message: 'throw is not supported by APPSYNC_JS: use util.error' },
        ],
      },
    },
  ];
  // The root as working directory: the files may be anywhere (tests lint files of their own).
  const linter = new Linter({ cwd: '/' });
  const problems = [];
  for (const file of files) {
    for (const message of linter.verify(readFileSync(file, 'utf8'), config, file)) {
      problems.push({
        file,
        line: message.line,
        column: message.column,
        rule: message.ruleId,
        message: message.message,
      });
    }
  }
  return problems;
}

const targets = process.argv.slice(2);
if (targets.length === 0) {
  process.stderr.write('usage: node lint.mjs FILE_OR_DIRECTORY...\n');
  process.exit(2);
}
const files = targets.flatMap(javascriptFiles);
if (files.length === 0) {
  process.stderr.write(`no .js files in ${targets.join(', ')}\n`);
  process.exit(2);
}
const problems = lint(files);
for (const problem of problems) {
  process.stdout.write(`${JSON.stringify(problem)}\n`);
}
process.exit(problems.length === 0 ? 0 : 1);
