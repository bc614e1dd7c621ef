/**
 * The package as users get it: this checkout packed with `npm pack` (with the prebuilt addon for
 * this platform, scripts/prebuild.mjs), installed from the local tarball into a fresh app, then
 * used the way the README says: the embedded quickstart, `npx sluice --help`, and a TypeScript
 * consumer type-checked against the installed declarations. Dependencies come from npm's cache
 * where it has them (--prefer-offline), else from the npm registry.
 *
 * `npm pack` runs with --ignore-scripts: its `prepare` would rebuild dist/ under the other test
 * files, which run it (vitest's globalSetup has just built it from src/); the prebuild that
 * `prepack` makes is made here first, for this platform only (a cross build takes minutes).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const host = `${process.platform}-${process.arch}`;
const prebuildsHere = process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The outer `npm test` exports its settings as npm_* variables (npm_config_local_prefix names
 * this checkout): a nested npm must take the app as its project, so those are left out, but
 * for the settings of the machine (cache, registry, Node headers).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_nodedir']);
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_') || keep.has(k.toLowerCase())));
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: cleanEnv(), timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

function expectOk(r: Run, what: string): void {
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code}:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
}

const QUICKSTART = `
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sluice } from 'sluice';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-quickstart-'));
const sluice = await Sluice.open({ dir, 'num.partitions': 6 });
await sluice.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 6 }] });
const producer = sluice.producer({ compression: 'zstd' });
await producer.send({ topic: 'orders', messages: [{ key: 'k1', value: 'v1' }] });
const consumer = sluice.consumer({ groupId: 'billing' });
await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
const received = new Promise((resolve) => {
  consumer.run({ eachMessage: async ({ message }) => resolve(String(message.key) + '=' + String(message.value)) });
});
console.log('received', await received);
await sluice.close();
fs.rmSync(dir, { recursive: true, force: true });
`;

const CONSUMER_TS = `
import { Log, Sluice, type SluiceOptions } from 'sluice';

const options: SluiceOptions = { dir: './data', 'num.partitions': 3 };
export async function main(): Promise<bigint> {
  const sluice: Sluice = await Sluice.open(options);
  await sluice.close();
  const log = await Log.open('./data/orders-0');
  const { baseOffset } = await log.append([{ key: 'k', value: 'v', timestamp: Date.now() }]);
  // @ts-expect-error baseOffset is a bigint: this line fails to compile only when the types resolved
  const wrong: string = baseOffset;
  void wrong;
  await log.close();
  return baseOffset;
}
`;

describe.runIf(process.platform === 'linux')('the packed package', () => {
  let work: string;
  let app: string;
  let tarball: string;
  let packedFiles: string[];
  let installed: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pack-'));
    if (prebuildsHere) {
      // Builds only when prebuilds/<host>/ is missing or older than the native sources.
      expectOk(await run(process.execPath, ['scripts/prebuild.mjs', '--targets', 'host', '--jobs', '2'], root, 15 * 60_000), 'scripts/prebuild.mjs');
    }
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root, 120_000);
    expectOk(packed, 'npm pack');
    const report = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(work, report[0]!.filename);
    packedFiles = report[0]!.files.map((f) => f.path);

    app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', app, tarball], app, 15 * 60_000);
    expectOk(install, 'npm install of the tarball');
    installed = path.join(app, 'node_modules', 'sluice');
  }, 30 * 60_000);

  afterAll(() => {
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  it('holds the library, its types, the CLI, the prebuilt addons and the sources to compile one, and nothing else', () => {
    for (const needed of [
      'package.json',
      'README.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/native.js',
      'bin/sluice.js',
      'dist/bundle/sluice.cjs',
      'binding.gyp',
      'native/src/addon.cc',
      'native/third_party/zstd/LICENSE',
    ]) {
      expect(packedFiles).toContain(needed);
    }
    if (prebuildsHere) expect(packedFiles).toContain(`prebuilds/${host}/sluice.glibc.node`);
    const unwanted = packedFiles.filter(
      (f) =>
        /^(src|test|bench|examples|scripts|native\/test|build|build-cmake|build-prebuilds|node_modules|\.ci|docs)\//.test(f) ||
        /^(CMakeLists\.txt|tsconfig.*\.json|vitest\.config\.ts|package-lock\.json)$/.test(f) ||
        /\.(cache|tsbuildinfo)$/.test(f) ||
        (f.endsWith('.map') && f !== 'dist/bundle/sluice.cjs.map'),
    );
    expect(unwanted).toEqual([]);
  });

  it.runIf(prebuildsHere)('ships prebuilt addons built from the current native sources', async () => {
    const { nativeSourcesHash } = (await import(path.join(root, 'scripts', 'prebuild.mjs'))) as { nativeSourcesHash(): string };
    const stamp = fs.readFileSync(path.join(installed, 'prebuilds', host, 'SOURCES.sha256'), 'utf8').trim();
    expect(stamp).toBe(nativeSourcesHash());
  });

  it.runIf(prebuildsHere)('installs without compiling: the app has no build/ of sluice, only the prebuilt addon', () => {
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
    expect(fs.existsSync(path.join(installed, 'prebuilds', host, 'sluice.glibc.node'))).toBe(true);
  });

  it('runs the README quickstart: an embedded broker produces and a consumer group receives', async () => {
    fs.writeFileSync(path.join(app, 'quickstart.mjs'), QUICKSTART);
    const r = await run(process.execPath, ['quickstart.mjs'], app, 60_000);
    expectOk(r, 'node quickstart.mjs');
    expect(r.stdout).toContain('received k1=v1');
  });

  it('`npx sluice --help` lists the commands', async () => {
    const r = await run('npx', ['sluice', '--help'], app, 60_000);
    expectOk(r, 'npx sluice --help');
    for (const command of ['serve', 'topics', 'produce', 'consume', 'groups']) expect(r.stdout).toContain(command);
  });

  it('types resolve for a TypeScript consumer (tsc --noEmit on a file that imports sluice)', async () => {
    fs.writeFileSync(path.join(app, 'consumer.ts'), CONSUMER_TS);
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        // The app's own @types/node, as any TypeScript app on Node has: this checkout's.
        typeRoots: [path.join(root, 'node_modules', '@types')],
        types: ['node'],
      },
      files: ['consumer.ts'],
    };
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], app, 120_000);
    expectOk(r, 'tsc --noEmit');
  });
});
