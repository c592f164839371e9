#!/usr/bin/env node
// Builds the playground (playground/) into a folder any static server serves: type-checks the
// page (playground/tsconfig.json), bundles it with esbuild against the package's browser entries
// (`tsbpf`, `tsbpf/net` → dist/, so `npm run build` comes first), and copies the page, the
// example objects with their C sources, the refused-on-purpose test/oob object and the packet
// presets, listed in catalog.json. `--serve [PORT]` then serves the folder (scripts/serve.mjs).
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The first sentence of a C file's opening comment: what the example is. */
function note(cFile) {
  const m = /\/\*\s*\S+\s+[—-]\s+([^.]*)/.exec(readFileSync(cFile, 'utf8'));
  return m === null ? '' : m[1].replace(/\s+/g, ' ').trim().slice(0, 80);
}

export async function buildPlayground(out = join(root, 'playground', 'build')) {
  if (!existsSync(join(root, 'dist', 'src', 'index.js')))
    throw new Error('build the library first (npm run build)');
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'playground'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (tsc.status !== 0) throw new Error(`the playground does not type-check:\n${tsc.stdout}${tsc.stderr}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'examples'), { recursive: true });
  mkdirSync(join(out, 'packets'));
  const { build } = await import('esbuild');
  const entries = { tsbpf: 'dist/src/index.js', 'tsbpf/net': 'dist/src/net/index.js' };
  await build({
    entryPoints: [join(root, 'playground/src/main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    outfile: join(out, 'main.js'),
    logLevel: 'warning',
    plugins: [
      {
        name: 'tsbpf-entries',
        setup(b) {
          b.onResolve({ filter: /^tsbpf(\/net)?$/ }, (a) => ({ path: join(root, entries[a.path]) }));
        },
      },
    ],
  });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'playground', f), join(out, f));
  copyFileSync(join(root, 'examples/common.h'), join(out, 'examples/common.h'));
  const examples = [];
  for (const c of readdirSync(join(root, 'examples')).sort()) {
    const name = c.replace(/\.c$/, '');
    if (!c.endsWith('.c') || !existsSync(join(root, 'examples', `${name}.v3.o`))) continue;
    copyFileSync(join(root, 'examples', c), join(out, 'examples', c));
    copyFileSync(join(root, 'examples', `${name}.v3.o`), join(out, 'examples', `${name}.v3.o`));
    examples.push({
      name,
      object: `examples/${name}.v3.o`,
      sources: [`examples/${c}`, 'examples/common.h'],
      note: note(join(root, 'examples', c)),
    });
  }
  // The first example is the one the page opens.
  examples.sort((a, b) => (a.name === 'xdp_count_array' ? -1 : b.name === 'xdp_count_array' ? 1 : 0));
  copyFileSync(join(root, 'test/oob/oob.o'), join(out, 'examples/oob.o'));
  copyFileSync(join(root, 'test/oob/oob.c'), join(out, 'examples/oob.c'));
  examples.push({
    name: 'oob',
    object: 'examples/oob.o',
    sources: ['examples/oob.c'],
    note: 'out-of-bounds programs the verifier refuses (untick verify to see the fault)',
  });
  const manifest = JSON.parse(readFileSync(join(root, 'test/packets/manifest.json'), 'utf8'));
  const packets = Object.entries(manifest).map(([name, p]) => {
    copyFileSync(join(root, 'test/packets', p.file), join(out, 'packets', p.file));
    return { name, file: p.file, description: p.description };
  });
  writeFileSync(join(out, 'catalog.json'), `${JSON.stringify({ examples, packets }, null, 1)}\n`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildPlayground();
  console.log(`playground built in ${out}`);
  const at = process.argv.indexOf('--serve');
  if (at >= 0) {
    const { serveStatic } = await import('./serve.mjs');
    const { url } = await serveStatic(out, Number(process.argv[at + 1] ?? 8080));
    console.log(`serving ${url}`);
  }
}
