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
//   mode: unprivileged             loaded without capabilities (the kernel's side as nobody:
//                                  test/gen/unprivileged-kernel.ts); default privileged (root)
//   verdict: accept|reject         the kernel's verdict in that mode
//   kernel: fragment               for reject: text the kernel's log (and tsbpf's) must contain
//   btf: funcs                     BTF func_info naming every subprogram (func-btf.ts), which the
//                                  kernel needs for a function address (bpf_loop's callback)
//   global: N int,ctx,int*,void*   with btf: subprogram N is global, `int subN(params)` (repeatable)
//   -- asm                         the program follows (`rN = map(NAME) ll` loads a map,
//                                  `call kfunc NAME` calls a kfunc by name)

import { buildCfg } from '../../src/cfg/index.js';
import type { CollectionSpec } from '../../src/program/index.js';
import type { AttachTypeName } from '../../src/uapi/attach-types.js';
import type { ProgTypeName } from '../../src/uapi/prog-types.js';
import { type CaseFields, readCases } from './case-file.js';
import { funcBtf, type GlobalParamText } from './func-btf.js';
import { asmProgram, assembleCase, caseMaps } from './oob-cases.js';

export const VERIFIER_DIR = new URL('../../../test/verifier/', import.meta.url);

export interface VerifierCase {
  readonly name: string;
  readonly file: string;
  readonly about: string;
  readonly spec: CollectionSpec;
  readonly verdict: 'accept' | 'reject';
  /** For reject: the fragment both logs contain. */
  readonly kernel: string | undefined;
  /** For accept: the instructions both verifiers process (`processed N insns`), when the case says. */
  readonly processed: number | undefined;
  /** Loaded with capabilities (root), or without (`mode: unprivileged`). */
  readonly privileged: boolean;
}

function parseCase(file: string, name: string, c: CaseFields): VerifierCase {
  const { where, asm } = c;
  if (asm === undefined) throw new Error(`${where}: no '-- asm'`);
  const verdict = c.one('verdict');
  if (verdict !== 'accept' && verdict !== 'reject')
    throw new Error(`${where}: verdict must be accept or reject`);
  const kernel = c.one('kernel');
  if (verdict === 'reject' && kernel === undefined) throw new Error(`${where}: a reject needs 'kernel:'`);
  const processedText = c.one('processed');
  const processed = processedText === undefined ? undefined : Number(processedText);
  if (processed !== undefined && (verdict !== 'accept' || !Number.isInteger(processed)))
    throw new Error(`${where}: 'processed:' is a count, for an accept`);
  const type = (c.one('type') ?? 'XDP') as ProgTypeName;
  const mode = c.one('mode') ?? 'privileged';
  if (mode !== 'privileged' && mode !== 'unprivileged')
    throw new Error(`${where}: mode must be privileged or unprivileged`);
  const maps = caseMaps(c);
  const { instructions } = assembleCase(asm);
  const attach = c.one('attach') as AttachTypeName | undefined;
  const btf = c.one('btf');
  if (btf !== undefined && btf !== 'funcs') throw new Error(`${where}: btf must be funcs`);
  const globals = new Map<number, GlobalParamText[]>();
  for (const g of c.all('global')) {
    const [index, list = ''] = g.split(/\s+/, 2);
    const params = list === '' ? [] : list.split(',');
    if (!params.every((p): p is GlobalParamText => ['int', 'ctx', 'int*', 'void*'].includes(p)))
      throw new Error(`${where}: global: N [int|ctx|int*|void*,...]`);
    globals.set(Number(index), params);
  }
  if (globals.size > 0 && btf === undefined) throw new Error(`${where}: 'global:' needs 'btf: funcs'`);
  const info =
    btf === undefined
      ? undefined
      : funcBtf(
          buildCfg(instructions).subprograms.map((s) => s.start),
          globals,
          type === 'XDP' ? 'xdp_md' : '__sk_buff',
        );
  const asm0 = asmProgram(name, type, instructions);
  const program = info === undefined ? asm0 : { ...asm0, funcInfo: info.funcInfo };
  const spec: CollectionSpec = {
    programs: [attach === undefined ? program : { ...program, attachType: attach }],
    maps,
    variables: [],
    license: 'GPL',
    ...(info === undefined ? {} : { btf: info.btf }),
  };
  return {
    name,
    file,
    about: c.one('about') ?? '',
    spec,
    verdict,
    kernel,
    processed,
    privileged: mode === 'privileged',
  };
}

/** Every case of every *.vcase file of `dir` (test/verifier/), in file then case order. */
export function verifierCases(dir: URL = VERIFIER_DIR): VerifierCase[] {
  return readCases(dir, '.vcase', 'verifier', parseCase);
}
