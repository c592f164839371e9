// The verifier corpus' case format (test/verifier/*.vcase): assembly programs with the kernel's
// verdict and, for a refusal, a fragment of its log. Both verifiers run every case:
// src/verifier/corpus.test.ts (tsbpf's) and src/kernel/verifier-corpus.test.ts (the kernel's).
//
// A case:
//   === name                       starts a case
//   about: text                    what it shows
//   type: XDP                      program type (default XDP)
//   attach: XDP_DEVMAP             expected attach type (default none)
//   map: NAME TYPE KEY VALUE MAX [rdonly]   a map (repeatable), as in test/oob/*.oob
//   verdict: accept|reject         the kernel's verdict (privileged: root)
//   kernel: fragment               for reject: text the kernel's log (and tsbpf's) must contain
//   btf: funcs                     BTF func_info naming every subprogram (func-btf.ts), which the
//                                  kernel needs for a function address (bpf_loop's callback)
//   -- asm                         the program follows (`rN = map(NAME) ll` loads a map,
//                                  `call kfunc NAME` calls a kfunc by name)

import { readdirSync, readFileSync } from 'node:fs';
import { buildCfg } from '../../src/cfg/index.js';
import type { CollectionSpec } from '../../src/program/index.js';
import type { AttachTypeName } from '../../src/uapi/attach-types.js';
import type { MapTypeName } from '../../src/uapi/map-types.js';
import type { ProgTypeName } from '../../src/uapi/prog-types.js';
import { funcBtf } from './func-btf.js';
import { asmProgram, assembleCase, mapSpec } from './oob-cases.js';

export const VERIFIER_DIR = new URL('../../../test/verifier/', import.meta.url);

/** BPF_F_RDONLY_PROG (include/uapi/linux/bpf.h). */
const BPF_F_RDONLY_PROG = 0x80;

export interface VerifierCase {
  readonly name: string;
  readonly file: string;
  readonly about: string;
  readonly spec: CollectionSpec;
  readonly verdict: 'accept' | 'reject';
  /** For reject: the fragment both logs contain. */
  readonly kernel: string | undefined;
}

function parseCase(file: string, name: string, body: readonly string[]): VerifierCase {
  const where = `${file} case ${name}`;
  const fields = new Map<string, string[]>();
  let asm: string | undefined;
  for (let k = 0; k < body.length; k++) {
    const line = body[k]!;
    if (line.trim() === '-- asm') {
      asm = body.slice(k + 1).join('\n');
      break;
    }
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const m = /^(\w+):\s*(.*)$/.exec(line);
    if (m === null) throw new Error(`${where}: cannot read '${line}'`);
    fields.set(m[1]!, [...(fields.get(m[1]!) ?? []), m[2]!.trim()]);
  }
  const one = (key: string): string | undefined => {
    const v = fields.get(key);
    if (v !== undefined && v.length > 1) throw new Error(`${where}: '${key}:' given twice`);
    return v?.[0];
  };
  if (asm === undefined) throw new Error(`${where}: no '-- asm'`);
  const verdict = one('verdict');
  if (verdict !== 'accept' && verdict !== 'reject')
    throw new Error(`${where}: verdict must be accept or reject`);
  const kernel = one('kernel');
  if (verdict === 'reject' && kernel === undefined) throw new Error(`${where}: a reject needs 'kernel:'`);
  const type = (one('type') ?? 'XDP') as ProgTypeName;
  const maps = (fields.get('map') ?? []).map((m) => {
    const [n, t, key, value, max, flag] = m.split(/\s+/);
    const flags = flag === 'rdonly' ? BPF_F_RDONLY_PROG : 0;
    return mapSpec(n!, t as MapTypeName, Number(key), Number(value), Number(max), flags);
  });
  const { instructions } = assembleCase(asm);
  const attach = one('attach') as AttachTypeName | undefined;
  const btf = one('btf');
  if (btf !== undefined && btf !== 'funcs') throw new Error(`${where}: btf must be funcs`);
  const info =
    btf === undefined ? undefined : funcBtf(buildCfg(instructions).subprograms.map((s) => s.start));
  const asm0 = asmProgram(name, type, instructions);
  const program = info === undefined ? asm0 : { ...asm0, funcInfo: info.funcInfo };
  const spec: CollectionSpec = {
    programs: [attach === undefined ? program : { ...program, attachType: attach }],
    maps,
    variables: [],
    license: 'GPL',
    ...(info === undefined ? {} : { btf: info.btf }),
  };
  return { name, file, about: one('about') ?? '', spec, verdict, kernel };
}

/** Every case of every test/verifier/*.vcase file, in file then case order. */
export function verifierCases(): VerifierCase[] {
  const out: VerifierCase[] = [];
  for (const file of readdirSync(VERIFIER_DIR)
    .filter((f) => f.endsWith('.vcase'))
    .sort()) {
    let name: string | undefined;
    let body: string[] = [];
    const flush = () => {
      if (name !== undefined) out.push(parseCase(file, name, body));
    };
    for (const line of readFileSync(new URL(file, VERIFIER_DIR), 'utf8').split('\n')) {
      const m = /^===\s*(\S+)\s*$/.exec(line);
      if (m === null) {
        body.push(line);
        continue;
      }
      flush();
      name = m[1]!;
      body = [];
    }
    flush();
  }
  const names = new Set<string>();
  for (const c of out) {
    if (names.has(c.name)) throw new Error(`verifier case '${c.name}' is defined twice`);
    names.add(c.name);
  }
  return out;
}
