// An lddw naming a map that does not exist (src=1, BPF_PSEUDO_MAP_FD) is a load error, wherever it
// sits: the kernel resolves the map fds of the whole program before it looks at control flow,
// so even an unreachable one fails BPF_PROG_LOAD. Both engines resolve every lddw when they are
// built and refuse the same way (the counterexample of an unseeded differential run: the JIT
// used to compile only reachable blocks and ran the program the interpreter refused).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadError, VerifierError } from '../errors.js';
import { load } from '../index.js';
import { Interpreter } from '../interp/index.js';
import { type Instruction, insn, lddw, op as O } from '../isa/index.js';
import { bpfAvailability } from '../kernel/available.js';
import { loadProgram } from '../kernel/program.js';
import type { CollectionSpec } from '../program/index.js';
import type { EngineOptions } from '../runtime/index.js';
import { JitEngine } from './index.js';

const exit = insn(O.OP_EXIT, 0, 0, 0, 0);
const mov0 = insn(O.BPF_ALU | O.BPF_MOV | O.BPF_K, 0, 0, 0, 0);
/** `exit; lddw r0, map fd 0; w0 = 0; exit`: the lddw is unreachable. */
const UNREACHABLE_MAP_FD: Instruction[] = [exit, lddw(0, 0n, O.BPF_PSEUDO_MAP_FD), mov0, exit];
/** The same lddw on the path taken. */
const REACHABLE_MAP_FD: Instruction[] = [lddw(0, 0n, O.BPF_PSEUDO_MAP_FD), mov0, exit];

function refusal(make: () => unknown): string {
  try {
    make();
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
  return 'built';
}

test('the kernel refuses an lddw of a non-map fd at load, reachable or not', (t) => {
  const avail = bpfAvailability();
  if (!avail.ok) return t.skip(avail.reason);
  for (const insns of [UNREACHABLE_MAP_FD, REACHABLE_MAP_FD]) {
    let log = '';
    assert.throws(() => {
      try {
        loadProgram({ type: 'XDP', insns });
      } catch (e) {
        if (e instanceof VerifierError) log = e.log;
        throw e;
      }
    }, VerifierError);
    assert.match(log, /fd 0 is not pointing to valid bpf_map/);
    // Before the walk: nothing was processed.
    assert.match(log, /processed 0 insns/);
  }
});

test('both engines refuse an unresolvable lddw when built, with the same error', () => {
  const resolvers: (EngineOptions['resolveLddw'] | undefined)[] = [
    undefined,
    (_pseudo, imm, _hi, pc) => {
      throw new LoadError('LOAD_ERROR', `insn ${pc}: no map ${imm}`);
    },
  ];
  for (const program of [UNREACHABLE_MAP_FD, REACHABLE_MAP_FD])
    for (const resolveLddw of resolvers) {
      const options = resolveLddw === undefined ? {} : { resolveLddw };
      const interp = refusal(() => new Interpreter(program, options));
      assert.match(interp, /^(NotSupportedError|LoadError): .*(pc|insn) [01]/);
      assert.equal(
        refusal(() => new JitEngine(program, options)),
        interp,
      );
    }
});

test('load(verify: false) refuses the program on either engine, naming the instruction', () => {
  const spec: CollectionSpec = {
    license: 'GPL',
    variables: [],
    maps: [],
    programs: [
      {
        name: 'p',
        sectionName: 'xdp',
        type: 'XDP',
        flags: 0,
        instructions: UNREACHABLE_MAP_FD,
        license: 'GPL',
        funcInfo: [],
        lineInfo: [],
      },
    ],
  };
  for (const engine of ['jit', 'interp'] as const)
    assert.throws(() => load(spec, { verify: false, engine }), {
      name: 'LoadError',
      message: /insn 1: lddw \(src 1\) names no map/,
    });
  // The verifier refuses it too (today for the unreachable instruction, which it finds first).
  assert.throws(() => load(spec), VerifierError);
});
