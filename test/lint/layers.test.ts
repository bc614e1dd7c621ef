/**
 * The lint rules that keep the structure: the layer rule (imports point down the layers of
 * docs/architecture.md, eslint.config.js) and the unit/integration split (test/projects.mjs).
 * Each case lints a small source text as if it were a file at the given path, through ESLint's
 * Node API with the repository's own config; only these rules run (no type information), so a
 * case takes milliseconds. The imported modules exist in the tree, so the resolver classifies
 * them as it does in `npm run lint`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, test } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({
    cwd: root,
    // The type-aware rules need a program that holds the file; these cases are not on disk.
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parserOptions: { projectService: false, project: null } } }],
    ruleFilter: ({ ruleId }) => ruleId.startsWith('boundaries/') || ruleId === 'no-restricted-imports',
  });
});

async function findings(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('the layer rule', () => {
  test('fails a storage/ file that imports broker/', async () => {
    const found = await findings('src/storage/layer-case.ts', "import { Broker } from '../broker/broker.js';\nexport const b = Broker;\n");
    expect(found).toEqual([
      'boundaries/dependencies: upward import: storage/ may not import broker/, which is higher in the layer map (docs/contributing.md#layers)',
    ]);
  });

  test('fails type-only imports and type re-exports the same way', async () => {
    const found = await findings(
      'src/protocol/layer-case.ts',
      "import type { Log } from '../storage/log.js';\nexport type { Broker } from '../broker/broker.js';\nexport type L = Log;\n",
    );
    expect(found).toHaveLength(2);
    expect(found[0]).toContain('protocol/ may not import storage/');
    expect(found[1]).toContain('protocol/ may not import broker/');
  });

  test('fails import() expressions and import("…").T type references upward', async () => {
    const found = await findings(
      'src/records/layer-case.ts',
      "export type S = import('../server/server.js').BrokerServerOptions;\nexport const load = () => import('../cli/main.js');\n",
    );
    expect(found).toHaveLength(2);
    expect(found[0]).toContain('records/ may not import server/');
    expect(found[1]).toContain('records/ may not import cli/');
  });

  test('fails a base file at src/ that imports a directory or an entry point', async () => {
    const found = await findings('src/errors.ts', "import { Log } from './storage/log.js';\nimport { Sluice } from './sluice.js';\nexport { Log, Sluice };\n");
    expect(found).toHaveLength(2);
    expect(found[0]).toContain('the base files at src/ may not import storage/');
    expect(found[1]).toContain('the base files at src/ may not import sluice.ts, index.ts');
  });

  test('passes imports down the layers, within a layer, and anything from an entry point', async () => {
    expect(
      await findings(
        'src/cli/layer-case.ts',
        "import { Log } from '../storage/log.js';\nimport { KafkaError } from '../errors.js';\nexport { Log, KafkaError };\n",
      ),
    ).toEqual([]);
    expect(await findings('src/storage/layer-case.ts', "import { Log } from './log.js';\nexport { Log };\n")).toEqual([]);
    expect(await findings('src/index.ts', "export { main } from './cli/main.js';\nexport { Log } from './storage/log.js';\n")).toEqual([]);
  });

  test('fails a file in a directory the layer map does not place', async () => {
    const found = await findings('src/unplaced/layer-case.ts', "import { Log } from '../storage/log.js';\nexport { Log };\n");
    expect(found).toEqual(['boundaries/no-unknown-files: File does not match any file pattern and does not belong to any known element']);
  });
});

describe('the unit/integration split', () => {
  const spawning = "import { spawn } from 'node:child_process';\nimport { startBroker } from '../helpers/broker-process.js';\nexport { spawn, startBroker };\n";

  test('fails a unit test that imports child_process or a helper that starts the broker', async () => {
    const found = await findings('test/storage/split-case.test.ts', spawning);
    expect(found).toHaveLength(2);
    for (const f of found) expect(f).toContain('list the test file in INTEGRATION_TESTS (test/projects.mjs)');
  });

  test('passes the same imports in a test listed as integration', async () => {
    expect(await findings('test/storage/crash.test.ts', spawning)).toEqual([]);
    expect(await findings('test/integration/split-case.test.ts', spawning)).toEqual([]);
  });
});
