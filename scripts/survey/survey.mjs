#!/usr/bin/env node
// The survey of public XDP/TC programs (issue 10): given a scratch folder of fetched sources,
// compiles every BPF C file, loads each program alone in tsbpf's VM (verifier + default engine)
// and in the kernel, runs it on the crafted packets of test/packets/ on both, and prints a
// Markdown table per project and the list of failures. The sources are never committed: only
// this script and the figures it prints are (see docs/survey.md for the procedure).
//
// Usage: npm run build && node scripts/survey/survey.mjs /tmp/survey [--json out.json]
//
// Layout of the scratch folder: one folder per project (`<root>/<project>/...`). A file is a BPF
// program when its name ends in `.c` and it contains `SEC(`; the first line of each fetched file
// is a comment `fetched: owner/repo@commit path`, which gives the commit column. Include paths:
// the file's folder, the project root and its include/ folders, libbpf's headers
// (/usr/include/bpf, for old-style `#include "bpf_helpers.h"`), and `<root>/.compat/` where the
// script writes a vmlinux.h (from /sys/kernel/btf/vmlinux) and `bpf_legacy.h` (the
// `struct bpf_map_def` that libbpf 1.x no longer declares; force-included, so old-style `maps`
// sections compile as they did with the headers those projects were written against).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

const repo = new URL('../../', import.meta.url);
const { load, loadCollectionSpec } = await import(new URL('dist/src/index.js', repo).href);
const { loadKernel, bpfAvailability } = await import(new URL('dist/src/kernel/index.js', repo).href);

const root = process.argv[2];
if (!root || !existsSync(root)) {
  console.error('usage: node scripts/survey/survey.mjs <folder of fetched sources> [--json out.json]');
  process.exit(2);
}
const jsonOut =
  process.argv.indexOf('--json') > 0 ? process.argv[process.argv.indexOf('--json') + 1] : undefined;
const clang = process.env.CLANG ?? 'clang-19';

// --- compat headers (ours) ---
const compat = join(root, '.compat');
mkdirSync(compat, { recursive: true });
if (!existsSync(join(compat, 'vmlinux.h'))) {
  writeFileSync(
    join(compat, 'vmlinux.h'),
    execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], {
      maxBuffer: 1 << 28,
    }),
  );
}
// glibc's 32-bit stubs header, which -target bpf asks for and only gcc-multilib installs.
mkdirSync(join(compat, 'gnu'), { recursive: true });
writeFileSync(join(compat, 'gnu', 'stubs-32.h'), '');
// libbpf < 1.0's declaration of a legacy map definition (libbpf's bpf_helpers.h, removed in 1.0).
writeFileSync(
  join(compat, 'bpf_legacy.h'),
  `#ifndef TSBPF_SURVEY_LEGACY_H
#define TSBPF_SURVEY_LEGACY_H
#ifndef __VMLINUX_H__
struct bpf_map_def {
  unsigned int type;
  unsigned int key_size;
  unsigned int value_size;
  unsigned int max_entries;
  unsigned int map_flags;
};
#endif
#endif
`,
);

// --- packets (tsbpf's own crafted packets) ---
const manifest = JSON.parse(readFileSync(new URL('test/packets/manifest.json', repo), 'utf8'));
const packets = Object.entries(manifest).map(([name, e]) => ({
  name,
  bytes: new Uint8Array(readFileSync(new URL(`test/packets/${e.file}`, repo))),
}));

function walk(dir) {
  const out = [];
  for (const f of readdirSync(dir).sort()) {
    if (f.startsWith('.')) continue;
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (f.endsWith('.c') && readFileSync(p, 'utf8').includes('SEC(')) out.push(p);
  }
  return out;
}

function provenance(file) {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const m = /fetched:\s*(\S+)@([0-9a-f]{7,40})/.exec(first);
  return m ? { repo: m[1], commit: m[2] } : { repo: '?', commit: '?' };
}

function includeDirs(file, projectDir) {
  const dirs = [dirname(file), projectDir];
  for (const sub of ['include', 'headers', 'lib', 'common']) {
    if (existsSync(join(projectDir, sub))) dirs.push(join(projectDir, sub));
  }
  return [...dirs, compat, '/usr/include/bpf', '/usr/include/x86_64-linux-gnu'];
}

function compile(file, projectDir, outDir) {
  const out = join(outDir, `${relative(projectDir, file).replaceAll('/', '__').replace(/\.c$/, '')}.o`);
  const args = ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-Wno-everything'];
  for (const d of includeDirs(file, projectDir)) args.push('-I', d);
  args.push('-include', join(compat, 'bpf_legacy.h'), '-c', file, '-o', out);
  try {
    execFileSync(clang, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return { ok: true, out };
  } catch (e) {
    const msg = String(e.stderr ?? e.message)
      .split('\n')
      .find((l) => l.includes('error'));
    return { ok: false, error: msg ?? 'clang failed' };
  }
}

/**
 * Sections libbpf 1.x cannot type (legacy `xdp_stats1`, `cls-hc`, or libbpf < 1.0's `xdp_devmap/`
 * and `xdp_cpumap/`, dropped in 1.0): the type (and attach type) the projects' own loaders set,
 * applied through `programOverrides` as a user would; for a section with no hint at all, the type
 * its entry function's context argument names in BTF.
 */
function guessType(spec, p) {
  if (p.type !== 'UNSPEC') return undefined;
  if (p.sectionName.startsWith('xdp_devmap/')) return { type: 'XDP', attachType: 'XDP_DEVMAP' };
  if (p.sectionName.startsWith('xdp_cpumap/')) return { type: 'XDP', attachType: 'XDP_CPUMAP' };
  if (/^xdp/.test(p.sectionName)) return { type: 'XDP' };
  if (/^(tc|classifier|action|cls)/.test(p.sectionName)) return { type: 'SCHED_CLS' };
  return typeFromContext(spec, p);
}

/** The entry function's context argument in BTF (`struct xdp_md *` → XDP, `struct __sk_buff *` → SCHED_CLS). */
function typeFromContext(spec, p) {
  const types = spec.btf?.types;
  const fi = p.funcInfo[0];
  if (!types || !fi) return undefined;
  const skip = (id) => {
    let t = types[id];
    while (t && ['typedef', 'volatile', 'const', 'restrict', 'type_tag'].includes(t.kind)) t = types[t.type];
    return t;
  };
  const fn = types[fi.typeId];
  const proto = fn?.kind === 'func' ? types[fn.type] : undefined;
  const arg = proto?.kind === 'func_proto' ? skip(proto.params[0]?.type ?? 0) : undefined;
  const target = arg?.kind === 'ptr' ? skip(arg.type) : undefined;
  if (target?.name === 'xdp_md') return { type: 'XDP', fromBtf: true };
  if (target?.name === '__sk_buff') return { type: 'SCHED_CLS', fromBtf: true };
  return undefined;
}

const NET_TYPES = new Set(['XDP', 'SCHED_CLS', 'SCHED_ACT']);

function reason(e) {
  const code = e?.code ? `${e.code}: ` : '';
  return `${code}${String(e?.message ?? e)
    .split('\n')[0]
    .slice(0, 220)}`;
}

function sameRun(a, b) {
  if (a.retval !== b.retval) return `retval ${a.retval} vs kernel ${b.retval}`;
  if (Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)) !== 0) return 'packet out differs';
  return undefined;
}

// Maps whose contents are fds, queues or event streams: not compared element by element.
const UNCOMPARED = /PROG_ARRAY|DEVMAP|CPUMAP|XSKMAP|PERF_EVENT|RINGBUF|QUEUE|STACK|OF_MAPS|SOCK/;

/**
 * A map's elements as sorted `key=value` hex strings. Per-CPU values are summed word by word (u64)
 * over the CPUs: the kernel's test runs land on whichever CPU the thread is on, the VM's on one,
 * so only the totals of the counters are comparable.
 */
function mapContents(map) {
  const { keyBytes, valueBytes, count, keySize: ks, valueSize: vs } = map.dump();
  const stride = Math.ceil(map.spec.valueSize / 8) * 8;
  const out = [];
  for (let i = 0; i < count; i++) {
    const key = Buffer.from(keyBytes.subarray(i * ks, (i + 1) * ks)).toString('hex');
    const value = Buffer.from(valueBytes.subarray(i * vs, (i + 1) * vs));
    let v;
    if (map.spec.type.includes('PERCPU')) {
      const sums = new Array(stride / 8).fill(0n);
      for (let o = 0; o < vs; o += stride) {
        for (let w = 0; w < stride / 8; w++)
          sums[w] = BigInt.asUintN(64, sums[w] + value.readBigUInt64LE(o + w * 8));
      }
      v = `sum(${sums.join(',')})`;
    } else v = value.toString('hex');
    out.push(`${key}=${v}`);
  }
  return out.sort();
}

function mapDiff(vm, kc) {
  for (const [name, km] of kc.maps) {
    if (UNCOMPARED.test(km.spec.type)) continue;
    const vmMap = vm.maps.get(name);
    if (!vmMap) return `map ${name} missing in the VM`;
    let a;
    let b;
    try {
      a = mapContents(vmMap);
      b = mapContents(km);
    } catch (e) {
      return `map ${name}: ${reason(e)}`;
    }
    if (a.length !== b.length) return `map ${name}: ${a.length} elements vs kernel ${b.length}`;
    for (let i = 0; i < a.length; i++)
      if (a[i] !== b[i]) return `map ${name}: element ${a[i]} vs kernel ${b[i]}`;
  }
  return undefined;
}

const kernelOk = bpfAvailability().ok;
const projects = readdirSync(root)
  .filter((d) => !d.startsWith('.') && statSync(join(root, d)).isDirectory())
  .sort();
const rows = [];
const failures = [];
for (const project of projects) {
  const projectDir = join(root, project);
  const outDir = join(root, '.objects', project);
  mkdirSync(outDir, { recursive: true });
  const row = {
    project,
    commits: new Set(),
    repo: '?',
    found: 0,
    compiled: 0,
    vm: 0,
    kernel: 0,
    alike: 0,
    runs: 0,
  };
  for (const file of walk(projectDir)) {
    const prov = provenance(file);
    row.repo = prov.repo;
    row.commits.add(prov.commit);
    const where = `${project}/${relative(projectDir, file)}`;
    const c = compile(file, projectDir, outDir);
    if (!c.ok) {
      row.found += 1;
      failures.push({ where, program: '(file)', stage: 'compile', reason: c.error });
      continue;
    }
    let spec;
    try {
      spec = loadCollectionSpec(new Uint8Array(readFileSync(c.out)));
    } catch (e) {
      row.found += 1;
      failures.push({ where, program: '(file)', stage: 'parse', reason: reason(e) });
      continue;
    }
    for (const p of spec.programs) {
      row.found += 1;
      row.compiled += 1;
      const type = guessType(spec, p);
      const override = type
        ? { type: type.type, ...(type.attachType ? { attachType: type.attachType } : {}) }
        : undefined;
      const options = {
        programs: [p.name],
        ...(override ? { programOverrides: { [p.name]: override } } : {}),
      };
      const effective = type?.type ?? p.type;
      const label = `${p.name} (${p.sectionName}${type ? ` → ${type.type}${type.attachType ? `/${type.attachType}` : ''} set by caller${type.fromBtf ? ' from the BTF context argument' : ''}` : ''})`;
      let vm;
      let kc;
      try {
        vm = load(spec, options);
        row.vm += 1;
      } catch (e) {
        failures.push({ where, program: label, stage: 'VM load', reason: reason(e) });
      }
      if (kernelOk) {
        try {
          kc = loadKernel(spec, options);
          row.kernel += 1;
        } catch (e) {
          failures.push({ where, program: label, stage: 'kernel load', reason: reason(e) });
        }
      }
      if (vm && kc && NET_TYPES.has(effective)) {
        row.runs += 1;
        let diff;
        for (const pkt of packets) {
          let a;
          let b;
          try {
            b = kc.programs.get(p.name).run({ data: pkt.bytes });
          } catch (e) {
            b = { error: reason(e), errno: e?.errno };
          }
          try {
            a = vm.programs.get(p.name).run({ data: pkt.bytes });
          } catch (e) {
            a = { error: reason(e), errno: e?.errno };
          }
          if (a.error || b.error) {
            // Both refusing the run is alike when the errno is (e.g. EINVAL for a devmap program's test run).
            if (!(a.error && b.error && a.errno === b.errno))
              diff = `${pkt.name}: VM ${a.error ?? 'ok'} / kernel ${b.error ?? 'ok'}`;
          } else {
            const d = sameRun(a, b);
            if (d) diff = `${pkt.name}: ${d}`;
          }
          if (diff) break;
        }
        diff ??= mapDiff(vm, kc);
        if (diff) failures.push({ where, program: label, stage: 'run', reason: diff });
        else row.alike += 1;
      }
      vm?.close();
      kc?.close();
    }
  }
  rows.push(row);
}

const pkts = packets.length;
console.log(
  `| project | commit(s) | programs found | compiled | load in VM | load in kernel | XDP/TC run alike on ${pkts} packets (verdict, packet, maps) |`,
);
console.log('|---|---|---|---|---|---|---|');
const total = { found: 0, compiled: 0, vm: 0, kernel: 0, runs: 0, alike: 0 };
for (const r of rows) {
  for (const k of Object.keys(total)) total[k] += r[k];
  const commits = [...r.commits].map((c) => c.slice(0, 12)).join(', ');
  console.log(
    `| ${r.repo} | ${commits} | ${r.found} | ${r.compiled} | ${r.vm} | ${kernelOk ? r.kernel : 'n/a'} | ${r.alike} of ${r.runs} |`,
  );
}
console.log(
  `| **total** | | ${total.found} | ${total.compiled} | ${total.vm} | ${kernelOk ? total.kernel : 'n/a'} | ${total.alike} of ${total.runs} |`,
);
console.log('\nFailures:\n');
for (const f of failures) console.log(`- ${f.where} \`${f.program}\` — ${f.stage}: ${f.reason}`);
if (!kernelOk) console.log(`\n(kernel backend unavailable: ${bpfAvailability().reason})`);
if (jsonOut)
  writeFileSync(
    jsonOut,
    JSON.stringify({ rows: rows.map((r) => ({ ...r, commits: [...r.commits] })), failures }, null, 2),
  );
void basename;
