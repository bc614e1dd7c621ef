// ESLint flat config: `npm run lint` (src/, test/, bench/, scripts/, bin/, examples/). npm test
// (scripts/test.mjs) runs it before the suites and a finding makes the run red.
// docs/contributing.md explains the rule set and the layer rule.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import boundaries from 'eslint-plugin-boundaries';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { ALL_TESTS, INTEGRATION_ONLY_HELPERS, INTEGRATION_ONLY_MODULES, INTEGRATION_TESTS } from './test/projects.mjs';

// The layers of docs/architecture.md (../shared/DESIGN.md), bottom to top: a file may import
// its own layer and the layers below it, never one above. Directories on one line are peers.
// src/sluice.ts and src/index.ts (the library's entry points) sit on top and may import
// anything. A new directory under src/ must be placed here (boundaries/no-unknown-files fails
// until it is).
export const LAYERS = [
  // Files at the root of src/: native.ts (the only file that loads the addon), errors.ts,
  // logger.ts, limits, clock, config definitions; all but the entry points of the last row.
  { base: ['src/!(sluice|index).ts'] },
  { protocol: ['src/protocol/**'] },
  { wire: ['src/wire/**'] },
  { records: ['src/records/**'] },
  { storage: ['src/storage/**'] },
  { broker: ['src/broker/**'] },
  { security: ['src/security/**'] },
  { group: ['src/group/**'], txn: ['src/txn/**'] },
  { cluster: ['src/cluster/**'] },
  { server: ['src/server/**'] },
  { client: ['src/client/**'] },
  { streams: ['src/streams/**'], connect: ['src/connect/**'] },
  { http: ['src/http/**'] },
  { cli: ['src/cli/**'] },
  { entry: ['src/sluice.ts', 'src/index.ts'] },
];
const RANK = new Map(LAYERS.flatMap((row, rank) => Object.keys(row).map((type) => [type, rank])));
// eslint-plugin-boundaries classifies directories as elements and single files as files with a
// category; a layer here is either, and each policy below names both kinds.
const isFileLayer = (type) => LAYERS.some((row) => row[type]?.every((pattern) => pattern.endsWith('.ts')));
const ELEMENTS = LAYERS.flatMap((row) =>
  Object.entries(row)
    .filter(([type]) => !isFileLayer(type))
    .map(([type, pattern]) => ({ type, pattern, partialMatch: false })),
);
const FILES = LAYERS.flatMap((row) =>
  Object.entries(row)
    .filter(([type]) => isFileLayer(type))
    .map(([category, pattern]) => ({ category, pattern })),
);
const selectorOf = (type) => (isFileLayer(type) ? { file: { categories: type } } : { element: { type } });

const nameOf = (type) => ({ base: 'the base files at src/', entry: 'sluice.ts, index.ts' })[type] ?? `${type}/`;

function layerPolicies(extraAllowed = []) {
  const types = [...RANK.keys()];
  return types.flatMap((from) =>
    types
      .filter((to) => RANK.get(to) > RANK.get(from) && !extraAllowed.includes(to))
      .map((to) => ({
        from: selectorOf(from),
        disallow: { to: selectorOf(to) },
        message: `upward import: ${nameOf(from)} may not import ${nameOf(to)}, which is higher in the layer map (docs/contributing.md#layers)`,
      })),
  );
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const layerRule = (extraAllowed) => ['error', { default: 'allow', policies: layerPolicies(extraAllowed) }];

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'build/**',
      'build-*/**',
      '**/node_modules/**',
      'bench/rdkafka/build/**',
      'bench/results/**',
      'prebuilds/**',
      '.test-results/**',
      'native/**',
      'fuzz/**',
      'tmp/**',
      'data/**',
    ],
  },
  js.configs.recommended,
  {
    rules: {
      // `_name` marks a parameter or binding kept for its position or shape.
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      // `let x; … x = …` where a closure made in between reads x (a timer that clears itself, a
      // dispatcher whose handlers call back into it) is the code's way to tie such knots.
      'prefer-const': ['error', { destructuring: 'all', ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      // The code writes `xs[i]!` on indexed reads, as if noUncheckedIndexedAccess were on (it is
      // not, yet): the assertion documents the bound the reader checked. ~1,000 sites.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // async methods without await implement Promise-returning interfaces (transports, stores).
      '@typescript-eslint/require-await': 'off',
      // Numeric enums are compared with numbers read off the wire (codec ids, attributes bits).
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // The no-unsafe-* family costs a third of the lint time on 2 cores and found 8 sites: the
      // code has no explicit `any` (no-explicit-any stays on), so `any` only enters from
      // JSON.parse and untyped libraries, where the code narrows it by hand.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    // The schema codec compiles each API's encode/decode into a function from generated source
    // (protocol/codec.ts `build`): deliberate, and the only place.
    files: ['src/protocol/codec.ts'],
    rules: { '@typescript-eslint/no-implied-eval': 'off' },
  },
  {
    // vitest's expect(obj.method) and mocks pass methods around unbound on purpose.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // A unit test runs no process and opens no socket (test/projects.mjs): the modules that do
    // are for integration tests.
    files: ALL_TESTS,
    ignores: INTEGRATION_TESTS,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(${INTEGRATION_ONLY_MODULES.map(escapeRegExp).join('|')}|(.*/)?helpers/(${INTEGRATION_ONLY_HELPERS.map(escapeRegExp).join('|')})\\.m?js)$`,
              message: 'this module starts a process, opens a socket or needs a system tool: list the test file in INTEGRATION_TESTS (test/projects.mjs)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': ELEMENTS,
      'boundaries/files': FILES,
      'boundaries/include': ['src/**/*.ts'],
      // Type-only imports (`import type`, `export type … from`) count like value imports; so do
      // `import('…')` expressions and `import('…').T` type references.
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
      'boundaries/additional-dependency-nodes': [{ selector: 'TSImportType > Literal', kind: 'type', name: 'import-type' }],
      'import/resolver': { typescript: { project: `${import.meta.dirname}/tsconfig.json` } },
    },
    rules: {
      'boundaries/dependencies': layerRule([]),
      'boundaries/no-unknown-files': 'error',
    },
  },
);
