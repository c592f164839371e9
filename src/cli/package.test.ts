// The package as a user gets it: `npm pack`, installed into a new project offline (koffi from
// the npm cache `npm ci` filled), the README's JavaScript example run as written, `npx tsbpf
// --help`, and the tarball's file list (no tests, source maps that point at shipped sources, the
// LICENSE, the examples the README uses). Skips with the reason where npm cannot run.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: string[], cwd: string): Run {
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    // Offline: nothing may come from the network; a user's npm settings do not apply here.
    env: { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The first fenced block of `lang` in the README's "## Library" section. */
function readmeBlock(lang: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const library = readme.slice(readme.indexOf('\n## Library'));
  const m = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(library);
  assert.ok(m, `README.md: no \`\`\`${lang} block under "## Library"`);
  return m[1]!;
}

/**
 * The new project's lockfile: tsbpf from the tarball, koffi and its prebuilt binaries as the
 * repository's lockfile pins them (resolved + integrity), so `npm ci --offline` takes them from
 * the cache by integrity. (`npm install --offline TARBALL` would need koffi's registry document,
 * which `npm ci` does not cache.)
 */
function lockfile(tarball: string, dependencies: Record<string, string>): unknown {
  const repoLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, unknown>;
  };
  const packages: Record<string, unknown> = {
    '': { name: 'c11-package-test', version: '1.0.0', dependencies: { tsbpf: `file:${tarball}` } },
    'node_modules/tsbpf': {
      version: '0.0.0',
      resolved: `file:${tarball}`,
      dependencies,
      bin: { tsbpf: 'bin/tsbpf.js', 'tsbpf-conformance-plugin': 'bin/tsbpf-conformance-plugin.js' },
    },
  };
  for (const dep of Object.keys(dependencies))
    for (const [path, entry] of Object.entries(repoLock.packages))
      if (path === `node_modules/${dep}` || path.startsWith('node_modules/@koromix/')) packages[path] = entry;
  return { name: 'c11-package-test', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

test('the packed package installs offline, runs the README example and the CLI', {
  timeout: 180_000,
}, (t) => {
  const npm = run('npm', ['--version'], root);
  if (npm.status !== 0) {
    t.skip(`npm cannot run here: ${npm.stderr.trim() || 'not found'}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'c11-package-'));
  try {
    // --ignore-scripts: `prepare` would rebuild dist/ under the tests that are running from it.
    const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root);
    if (pack.status !== 0) {
      t.skip(`npm pack cannot run here: ${pack.stderr.trim().split('\n').pop()}`);
      return;
    }
    const [packed] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
    const files = new Set(packed.files.map((f) => f.path));

    // The file list: what a user needs, and no tests.
    for (const needed of [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/tsbpf.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/kernel/index.js',
      'dist/src/net/index.js',
      'dist/src/dataplane/index.js',
      'examples/xdp_count_array.v3.o',
      'examples/xdp_ddos.v3.o',
      'examples/ddos.pcap',
      'examples/ddos-blocklist.json',
      'examples/topology.json',
    ])
      assert.ok(files.has(needed), `the package ships ${needed}`);
    const tests = [...files].filter((f) => /\.test\.|test-builders|test-fixtures|^test\//.test(f));
    assert.deepEqual(tests, [], 'the package ships no tests');

    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      license: string;
      dependencies: Record<string, string>;
    };
    assert.match(readFileSync(join(root, 'LICENSE'), 'utf8'), new RegExp(`^${pkg.license} License`));

    const project = join(dir, 'project');
    spawnSync('mkdir', [project]);
    // As the README says: koffi's install script is not needed (its binary is an optional package).
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'c11-package-test',
        version: '1.0.0',
        private: true,
        type: 'module',
        dependencies: { tsbpf: `file:../${packed.filename}` },
        allowScripts: { koffi: false },
      }),
    );
    writeFileSync(
      join(project, 'package-lock.json'),
      JSON.stringify(lockfile(`../${packed.filename}`, pkg.dependencies)),
    );
    const install = run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], project);
    if (install.status !== 0 && /ENOTCACHED/.test(install.stderr)) {
      t.skip(`koffi is not in the npm cache (run npm ci first): ${install.stderr.trim().split('\n')[0]}`);
      return;
    }
    assert.equal(install.status, 0, `npm ci in the new project:\n${install.stderr}`);
    assert.doesNotMatch(install.stderr, /warn/i, 'npm installs the package without warnings');

    // Every source map points at files the package ships.
    const installed = join(project, 'node_modules', 'tsbpf');
    const maps = walk(join(installed, 'dist')).filter((f) => f.endsWith('.js.map'));
    assert.ok(maps.length > 100, `source maps shipped: ${maps.length}`);
    const missing = maps.flatMap((m) => {
      const { sources } = JSON.parse(readFileSync(m, 'utf8')) as { sources: string[] };
      return sources.map((s) => resolve(dirname(m), s)).filter((s) => !existsSync(s));
    });
    assert.deepEqual(
      missing.map((s) => relative(installed, s)),
      [],
      'every source map source is in the package',
    );

    // The README's JavaScript example, as written.
    writeFileSync(join(project, 'example.mjs'), readmeBlock('js'));
    const example = run(process.execPath, ['example.mjs'], project);
    assert.equal(example.status, 0, `the README example:\n${example.stderr}`);
    const lines = example.stdout.trim().split('\n');
    assert.equal(lines[0], '42n');
    const runs = lines.slice(1);
    assert.ok(runs.length >= 1, example.stdout);
    for (const line of runs)
      assert.equal(line, '2 666 1n', 'XDP_PASS, the frame unchanged, one UDP packet counted');

    const help = run('npx', ['tsbpf', '--help'], project);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: tsbpf \[OPTIONS\] COMMAND/);
    assert.match(help.stdout, /tsbpf xdp run OBJ/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
