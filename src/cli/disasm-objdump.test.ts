import { runCli } from './test-cli.js';
// `tsbpf disasm OBJ` against `llvm-objdump-19 -d` (issue 11, item 8): every instruction line of
// every example object must be what objdump prints (objdump's `<sym+0x..>` jump notes aside),
// bpf-to-bpf calls included (`call -0x1`); map loads carry `; map[NAME]` after the instruction.
// The verifier-log style keeps `call pc-1`, and --reassemble keeps forms `tsbpf asm` reads back.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { toolSkip } from '../../test/tools.js';

const cli = runCli;

test('disasm matches llvm-objdump-19 -d on every example object', {
  skip: toolSkip('apt-get install llvm-19', 'llvm-objdump-19') ?? false,
}, async () => {
  let total = 0;
  const diffs: string[] = [];
  for (const f of readdirSync('examples').filter((n) => n.endsWith('.o'))) {
    const path = `examples/${f}`;
    const want = new Map<string, string>();
    let section = '';
    for (const l of execFileSync('llvm-objdump-19', ['-d', path], { encoding: 'utf8' }).split('\n')) {
      const s = /^Disassembly of section (.*):$/.exec(l);
      if (s !== null) section = s[1]!;
      const m = /^\s*(\d+):\t(?:[0-9a-f]{2} ?){8,16}\t(.*)$/.exec(l);
      if (m !== null) want.set(`${section}:${m[1]}`, m[2]!.replace(/ <[\w.+]+>$/, '').trim());
    }
    const r = await cli('disasm', path);
    assert.equal(r.code, 0, r.err);
    for (const l of r.out.split('\n')) {
      const s = /^examples\/[^:]+:(.*):$/.exec(l);
      if (s !== null) section = s[1]!;
      const m = /^\s*(\d+): (.*?)(?: {2}; map\[.*)?$/.exec(l);
      if (m === null) continue;
      total++;
      const w = want.get(`${section}:${m[1]}`);
      if (w !== m[2]) diffs.push(`${path} ${section}:${m[1]}: objdump '${w}', tsbpf '${m[2]}'`);
    }
  }
  assert.ok(total > 1000, `${total} instruction lines compared`);
  assert.deepEqual(diffs.slice(0, 10), [], `${diffs.length} of ${total} lines differ`);
});

test('bpf-to-bpf calls: LLVM style, verifier-log style, reassemblable; map loads named', async () => {
  const obj = 'examples/xdp_bpf2bpf.v3.o';
  assert.match((await cli('disasm', obj)).out, /\n {4}7: call -0x1\n/);
  assert.match((await cli('disasm', obj, '--numbers', 'kernel')).out, /\n {4}7: \(85\) call pc-1\n/);
  assert.match((await cli('disasm', obj, '--reassemble')).out, /\n {4}7: call pc-0x1\n/);
  const counts = await cli('disasm', 'examples/xdp_count_array.v3.o');
  assert.match(counts.out, /\n {3}65: r1 = 0x0 ll {2}; map\[l3_stats\]\n/);
  const linked = await cli('disasm', 'examples/xdp_count_array.v3.o', '--prog', 'xdp_count_array', '--json');
  const loads = (JSON.parse(linked.out) as { map?: string }[]).flatMap((r) =>
    r.map === undefined ? [] : [r.map],
  );
  assert.deepEqual(loads, ['map[l3_stats]', 'map[proto_stats]']);
  assert.match((await cli('disasm', 'examples/xdp_global_data.v3.o')).out, /; map\[\.bss\] seen_packets\n/);
});
