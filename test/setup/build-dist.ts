/**
 * Vitest globalSetup: compiles src/ to dist/ (tsc -p tsconfig.build.json) and bundles the
 * CLI into dist/bundle/sluice.cjs (scripts/bundle-cli.mjs) — what `npm run build:ts` does — so
 * tests that run `node bin/sluice.js …` as a child process run exactly what users run, built
 * from the current sources.
 *
 * Skipped when dist/ is newer than every file in src/ (a stamp file records the last build),
 * or when SLUICE_SKIP_BUILD=1. Type errors do not stop the run — tsc still emits, and the
 * typecheck is a separate step — but a build that leaves no dist/cli/main.js does, and so does
 * a failed bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const stamp = path.join(root, 'dist', '.build-stamp');

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  if (process.env.SLUICE_SKIP_BUILD === '1') return;
  const bundler = path.join(root, 'scripts', 'bundle-cli.mjs');
  const sourcesMtimeMs = Math.max(
    newestMtimeMs(path.join(root, 'src')),
    statSync(path.join(root, 'tsconfig.json')).mtimeMs,
    statSync(path.join(root, 'tsconfig.build.json')).mtimeMs,
    statSync(bundler).mtimeMs,
  );
  const built = existsSync(path.join(root, 'dist', 'cli', 'main.js')) && existsSync(path.join(root, 'dist', 'bundle', 'sluice.cjs'));
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= sourcesMtimeMs && built) return;

  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const startedAt = Date.now();
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    process.stderr.write(`[build-dist] tsc reported errors (output still emitted):\n${out.slice(0, 4000)}\n`);
  }
  if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('[build-dist] tsc did not produce dist/cli/main.js');
  try {
    execFileSync(process.execPath, [bundler], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    const out = `${(err as { stdout?: Buffer }).stdout?.toString() ?? ''}${(err as { stderr?: Buffer }).stderr?.toString() ?? ''}`;
    throw new Error(`[build-dist] bundling the CLI failed:\n${out.slice(0, 4000)}`, { cause: err });
  }
  mkdirSync(path.dirname(stamp), { recursive: true });
  // Stamped with the build's start time, so a source saved during the build triggers the next one.
  writeFileSync(stamp, '');
  const t = new Date(startedAt);
  utimesSync(stamp, t, t);
}
