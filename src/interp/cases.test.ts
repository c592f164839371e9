// Runs the data cases in test/interp/*.data: instruction rows, optional memory block, and the
// expected r0 or error. Adding a case is adding a text file. Format (one section per `--` line):
//   -- insns   one instruction per line: `op dst src off imm [hi]`, op in hex, `;` comments
//   -- mem     hex bytes; the block is passed as r1 = address, r2 = length
//   -- result  expected r0 (decimal or 0x hex)
//   -- error   expected error: its code, then a substring of the message
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EngineUnderTest as Interpreter } from '../../test/engines.js';
import { TsbpfError } from '../errors.js';
import type { Instruction } from '../isa/index.js';
import { runWithMemory } from '../runtime/index.js';

const dir = new URL('../../../test/interp/', import.meta.url);

function parse(text: string): Record<string, string[]> {
  const sections: Record<string, string[]> = {};
  let current: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[;#].*$/, '').trim();
    const head = /^--\s*(\w+)/.exec(raw.trim());
    if (head) sections[head[1]!] = current = [];
    else if (line !== '' && current) current.push(line);
  }
  return sections;
}

function instruction(row: string): Instruction {
  const [op, dst, src, off, imm, hi] = row.split(/\s+/);
  const n = (s: string | undefined) => Number(s ?? '0') | 0;
  const base = { op: Number.parseInt(op!, 16), dst: n(dst), src: n(src), off: n(off), imm: n(imm) };
  return hi === undefined ? base : { ...base, hi: n(hi) };
}

for (const name of readdirSync(dir).filter((f) => f.endsWith('.data'))) {
  test(`case ${name}`, () => {
    const s = parse(readFileSync(new URL(name, dir), 'utf8'));
    assert.ok(s.insns, `${name}: no -- insns section`);
    const mem = new Uint8Array(
      (s.mem ?? [])
        .join(' ')
        .split(/\s+/)
        .filter(Boolean)
        .map((b) => Number.parseInt(b, 16)),
    );
    const go = () => runWithMemory(new Interpreter(s.insns!.map(instruction)), mem).r0;
    if (s.error) {
      const [code, ...words] = s.error.join(' ').split(' ');
      assert.throws(
        go,
        (e: unknown) => e instanceof TsbpfError && e.code === code && e.message.includes(words.join(' ')),
      );
    } else {
      assert.equal(go(), BigInt(s.result?.[0] ?? 'missing result'));
    }
  });
}
