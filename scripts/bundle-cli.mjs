#!/usr/bin/env node
// Bundles the `sluice` command (src/cli/main.ts and everything it imports, dependencies
// included) into dist/bundle/sluice.cjs, which bin/sluice.js runs. Run by `npm run build:ts`
// (and so by `prepare` on `npm ci`) and by the vitest globalSetup, after tsc has built dist/.
//
// Why: `sluice serve` must be ready in < 100 ms beyond a bare Node start. Loaded from dist/, the
// daemon is ~150 ES modules; Node resolves, reads, compiles and links each one, which cost more
// than the broker's own startup. One bundled file costs a fraction of that.
//
// - CommonJS, one file: Node 20 offers no compile cache for ES modules, while a CommonJS
//   script can be compiled with a V8 code cache (bin/sluice.js keeps one per command next to
//   the bundle), which removes most of what compiling the bundle still costs. The commands stay
//   lazy: esbuild turns main.ts's `import('./serve.js')` into an initializer run on demand, and
//   V8 only pre-parses the code of the commands not run.
// - `import.meta.url` (native.ts and main.ts locate the addon and package.json from it)
//   becomes the bundle's own file URL.
// - whitespace and syntax minification: V8 pre-parses every byte of the file; identifiers
//   stay, so stack traces keep their function names (and the linked source map gives the
//   sources under `node --enable-source-maps`).
// - msgpackr-extract stays external: msgpackr's optional native string extractor, which serve
//   switches off and which is a platform-specific binary anyway.
// - thread-stream is replaced by a stub: pino needs it only for transports (log shipping in a
//   worker thread), which the CLI never configures.
// - Node modules that dependencies require at load but use only on paths the CLI rarely takes
//   are loaded on first use instead: assert (sonic-boom: a check when a destination closes).
//   (commander's child_process is not worth it: net's listen() loads it through cluster.)
//
// Library users importing 'sluice' keep getting dist/ (unbundled, tsc output).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'bundle');

/** pino's transports are the only users of thread-stream; the CLI has none. */
const noThreadStream = {
  name: 'no-thread-stream',
  setup(b) {
    b.onResolve({ filter: /^thread-stream$/ }, () => ({ path: 'thread-stream', namespace: 'sluice-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'sluice-stub' }, () => ({
      contents: "module.exports = class ThreadStream { constructor() { throw new Error('pino transports are not available in the sluice CLI'); } };",
      loader: 'js',
    }));
  },
};

/** Dependency → Node modules it gets a lazy stand-in for (loaded by the first use). */
const LAZY_BUILTINS = { 'sonic-boom': ['assert'] };

const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?assert$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      const owner = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(args.importer)?.[1];
      if (owner === undefined || !(LAZY_BUILTINS[owner] ?? []).includes(name)) return undefined;
      return { path: name, namespace: 'sluice-lazy' };
    });
    // A function target, so a module that is itself a function (assert) can be called.
    b.onLoad({ filter: /.*/, namespace: 'sluice-lazy' }, (args) => ({
      contents: `let m; const load = () => (m ??= require('node:${args.path}'));
module.exports = new Proxy(function () {}, {
  apply: (_, self, argv) => Reflect.apply(load(), self, argv),
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
});`,
      loader: 'js',
    }));
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile: path.join(outdir, 'sluice.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  external: ['msgpackr-extract'],
  plugins: [noThreadStream, lazyBuiltins],
  define: { 'import.meta.url': '__sluiceModuleUrl' },
  banner: { js: "const __sluiceModuleUrl=require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
  metafile: true,
});

// Drop everything else: earlier builds' files and the code caches of the previous bundle. (Not
// emptying the directory first leaves no moment without a bundle for a daemon being started
// meanwhile, e.g. by a test run.)
const written = new Set(Object.keys(result.metafile.outputs).map((file) => path.resolve(root, file)));
for (const name of fs.readdirSync(outdir)) {
  const file = path.join(outdir, name);
  if (!written.has(file)) fs.rmSync(file, { recursive: true, force: true });
}
