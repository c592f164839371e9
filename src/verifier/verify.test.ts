// The verify stage through load(): structural refusals (cfg/), helper refusals in the kernel's
// words (checked against the kernel's own log where bpf() works), context refusals, and
// `verify: false`, which skips every pass and leaves the run to the runtime's own checks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../test/engines.js';
import { asmProgram, assembleCase } from '../../test/gen/oob-cases.js';
import { assemble } from '../asm/index.js';
import { NotSupportedError, TsbpfError, VerifierError } from '../errors.js';
import { bpfAvailability } from '../kernel/available.js';
import { loadProgram } from '../kernel/program.js';
import type { ProgramSpec } from '../program/index.js';
import { RUNTIME_HELPERS } from '../runtime/helpers/index.js';
import type { ProgTypeName } from '../uapi/prog-types.js';
import { verify, verifyProgram } from './index.js';

function spec(text: string, type: ProgTypeName = 'XDP') {
  const p: ProgramSpec = {
    name: 'p',
    sectionName: 'xdp',
    type,
    flags: 0,
    instructions: assemble(text),
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
  return { programs: [p], maps: [], variables: [], license: 'GPL' };
}

const refusedWith = (line: string, pc: number) => (e: unknown) =>
  e instanceof VerifierError &&
  e.log.includes(`${line}\n`) &&
  e.pc === pc &&
  e.message.startsWith(`program 'p': insn ${pc}: ${line}`);

test('load refuses unreachable code and a missing exit; verify: false loads and runs them', () => {
  const dead = spec('r0 = 2\nexit\nr0 = 1\nexit');
  assert.throws(() => load(dead), refusedWith('unreachable insn 2', 2));
  using c = load(dead, { verify: false });
  assert.equal(c.program('p').run({ data: new Uint8Array(64) }).retval, 2);
  assert.throws(() => load(spec('r0 = 2\nr0 += 1')), refusedWith('last insn is not an exit or jmp', 1));
});

test('helpers: unknown ids, ids the runtime lacks, and ids the program type may not use', () => {
  assert.throws(() => load(spec('call 999\nexit')), refusedWith('invalid func unknown#999', 0));
  const lacking = [...Array(212).keys()].find((id) => id > 0 && !RUNTIME_HELPERS.has(id))!;
  assert.throws(() => load(spec(`call ${lacking}\nexit`)), NotSupportedError);
  const adjust = spec('r0 = 0\ncall 44\nr0 = 0\nexit', 'SOCKET_FILTER');
  assert.throws(
    () => load(adjust),
    refusedWith('program of this type cannot use helper bpf_xdp_adjust_head#44', 1),
  );
  // Unverified, the helper still refuses a context of the wrong kind at run time.
  using c = load(adjust, { verify: false });
  assert.throws(() => c.program('p').run({ data: new Uint8Array(64) }), /r1 is not the xdp_md pointer/);
});

test('context: a write to a read-only field is refused, and allowed through with verify: false', () => {
  const write = spec('r2 = 0\n*(u32 *)(r1 + 0) = r2\nr0 = 2\nexit');
  assert.throws(() => load(write), refusedWith('invalid bpf_context access off=0 size=4', 1));
  load(write, { verify: false }).close();
});

test('context: the check follows the CFG into subprograms and through both arms of a branch', () => {
  const viaCall = spec('call sub\nr0 = 2\nexit\nsub:\nr2 = 0\n*(u32 *)(r1 + 0) = r2\nr0 = 0\nexit');
  assert.throws(() => load(viaCall), refusedWith('invalid bpf_context access off=0 size=4', 4));
  const arms = spec('if r1 == 0 goto l\nr3 = r1\ngoto m\nl:\nr3 = r1\nm:\nr0 = *(u32 *)(r3 + 200)\nexit');
  assert.throws(() => load(arms), refusedWith('invalid bpf_context access off=200 size=4', 4));
  // ctx on one arm only: a must-analysis does not claim r3 is the context.
  const one = spec('r3 = r10\nif r1 == 0 goto l\nr3 = r1\nl:\nr0 = 2\nexit');
  load(one).close();
});

test('verify returns the program CFG', () => {
  const p = spec('if r1 == 0 goto l\nr0 = 1\nl:\nr0 = 2\nexit').programs[0]!;
  const { cfg } = verify(p, { helpers: RUNTIME_HELPERS });
  assert.equal(cfg.blocks.length, 3);
});

const avail = bpfAvailability();
test('the kernel logs the same helper refusals', { skip: avail.ok ? false : avail.reason }, () => {
  for (const [type, text, line] of [
    ['XDP', 'call 999\nexit', 'invalid func unknown#999'],
    [
      'SOCKET_FILTER',
      'r0 = 0\ncall 44\nr0 = 0\nexit',
      'program of this type cannot use helper bpf_xdp_adjust_head#44',
    ],
    ['XDP', 'r2 = 0\n*(u32 *)(r1 + 0) = r2\nr0 = 2\nexit', 'invalid bpf_context access off=0 size=4'],
  ] as const) {
    assert.throws(
      () => loadProgram({ type, insns: assemble(text) }).close(),
      (e: unknown) => e instanceof VerifierError && e.log.includes(`${line}\n`),
      line,
    );
  }
});

test('unprivileged: bpf-to-bpf calls, function addresses and kfunc calls need CAP_BPF', () => {
  // add_subprog_and_kfunc's refusal (kernel/bpf/verifier.c), asked of the kernel as nobody in
  // test/verifier/unprivileged.vcase (bpf-to-bpf-call-needs-cap-bpf).
  const calls = ['call pc+1\nexit\nr0 = 0\nexit', 'r0 = 0\nexit'];
  const kfunc = assemble('call kfunc 0\nr0 = 0\nexit').map((i, k) =>
    k === 0 ? { ...i, reference: 'bpf_rcu_read_lock' } : i,
  );
  for (const [instructions, privileged, verdict] of [
    [assemble(calls[0]!), false, 'rejected'],
    [assemble(calls[0]!), true, 'accepted'],
    [assemble(calls[1]!), false, 'accepted'],
    [kfunc, false, 'rejected'],
  ] as const) {
    const r = verifyProgram({ instructions, type: 'SOCKET_FILTER', privileged });
    assert.equal(r.verdict, verdict);
    if (verdict === 'rejected')
      assert.match(
        r.log,
        /loading\/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN/,
      );
  }
});

test('the combined stack: frames rounded to 16 bytes when JITed (the default), to 32 (at least 32) for the interpreter', () => {
  // round_up_stack_depth (kernel/bpf/verifier.c). The JITed rule is checked against the kernel by
  // the corpus (stack-combined-jit-*); the interpreter's needs net.core.bpf_jit_enable=0, which
  // the tests do not change.
  const instructions = assemble('r1 = 0\n*(u64 *)(r10 - 504) = r1\ncall pc+2\nr0 = 0\nexit\nr0 = 0\nexit');
  const jit = verifyProgram({ instructions, type: 'XDP' });
  assert.equal(jit.verdict, 'accepted');
  assert.deepEqual(jit.stats.stackDepth, [512, 0]);
  const interp = verifyProgram({ instructions, type: 'XDP', jit: false });
  assert.equal(interp.verdict, 'rejected');
  assert.match(interp.log, /combined stack size of 2 calls is 544\. Too large/);
});

test('load chooses the mode per load: privileged by default, unprivileged with privileged: false', () => {
  // A pointer returned: root may (allow_ptr_leaks), an unprivileged load leaks an address.
  const spec = {
    programs: [asmProgram('leak', 'SOCKET_FILTER', assembleCase('r0 = r10\nr0 += -8\nexit').instructions)],
    maps: [],
    variables: [],
    license: 'GPL',
  };
  load(spec).close();
  assert.throws(
    () => load(spec, { privileged: false }),
    (e: unknown) => e instanceof VerifierError && /R0 leaks addr as return value/.test(e.log),
  );
});

test('unprivileged: a scalar stored to the stack is not spilled, so a fill loses its bounds', () => {
  // check_stack_write_fixed_off spills scalars only for bpf_capable loads; unprivileged, the
  // bytes become misc (not asked live: tests run as root and unprivileged BPF is disabled here).
  const text = (size: string) =>
    `r2 = 7\n*(${size} *)(r10 - 8) = r2\nr3 = *(${size} *)(r10 - 8)\nif r3 == 7 goto pc+1\nr0 = *(u64 *)(r10 + 8)\nr0 = 0\nexit`;
  for (const size of ['u64', 'u32']) {
    const instructions = assemble(text(size));
    assert.equal(verifyProgram({ instructions, type: 'SOCKET_FILTER' }).verdict, 'accepted', size);
    const r = verifyProgram({ instructions, type: 'SOCKET_FILTER', privileged: false });
    assert.equal(r.verdict, 'rejected', size);
    assert.match(r.log, /invalid read from stack R10 off=8 size=8/);
  }
});

test('the log names a helper call as the kernel does (bpf_ktime_get_ns#5), beside the kernel log', () => {
  const insns = assemble('call 5\nr0 = 2\nexit');
  const line = '0: (85) call bpf_ktime_get_ns#5';
  const ours = verifyProgram({ instructions: insns, type: 'XDP', logLevel: 2 }).log;
  assert.ok(ours.includes(line), ours);
  if (!avail.ok) return;
  const p = loadProgram({ type: 'XDP', insns, logLevel: 2 });
  try {
    assert.ok(p.log.includes(line), p.log);
  } finally {
    p.close();
  }
});

test('cgroup skb: verified at load (its return values checked), test-run from the network header', () => {
  const spec = (text: string) => ({
    maps: [],
    variables: [],
    license: 'GPL',
    programs: [
      {
        ...asmProgram('p', 'CGROUP_SKB', assembleCase(text).instructions),
        attachType: 'CGROUP_INET_INGRESS' as const,
      },
    ],
  });
  // Returns 1 when len is 50: the 64-byte frame less its MAC header, which comes back zeroed.
  const c = load(spec('r2 = *(u32 *)(r1 + 0)\nr0 = 0\nif r2 != 50 goto +1\nr0 = 1\nexit'));
  try {
    const frame = new Uint8Array(64).fill(0xab);
    const r = c.program('p').run({ data: frame });
    assert.equal(r.retval, 1);
    assert.deepEqual(r.data, new Uint8Array(64).fill(0xab).fill(0, 0, 14));
  } finally {
    c.close();
  }
  assert.throws(() => load(spec('r0 = 2\nexit')), /At program exit the register R0 has smin=2 smax=2/);
  // Unprivileged, the packet needs CAP_BPF (cg_skb_is_valid_access).
  const packet = assembleCase('r2 = *(u32 *)(r1 + 76)\nr0 = 1\nexit').instructions;
  for (const privileged of [true, false]) {
    const r = verifyProgram({ instructions: packet, type: 'CGROUP_SKB', privileged, logLevel: 0 });
    assert.equal(r.verdict, privileged ? 'accepted' : 'rejected', r.log);
  }
});

test('verifyProgram: input of the wrong shape (from JavaScript) is INVALID_ARGUMENT, naming the field', () => {
  const exit = assemble('r0 = 0\nexit');
  const invalid = (input: unknown, what: RegExp) =>
    assert.throws(
      () => verifyProgram(input as Parameters<typeof verifyProgram>[0]),
      (e: unknown) => e instanceof TsbpfError && e.code === 'INVALID_ARGUMENT' && what.test(e.message),
    );
  invalid(undefined, /must be an object/);
  invalid({ insns: exit, type: 'XDP' }, /`instructions` must be an array/);
  invalid({ instructions: exit, type: 'sched_cls' }, /unknown program type "sched_cls".*SCHED_CLS/);
  invalid({ instructions: exit, type: 'XDP', logLevel: 4 }, /`logLevel` is 0, 1 or 2/);
  // A known type the verifier does not model is NotSupported, by name.
  assert.throws(
    () => verifyProgram({ instructions: exit, type: 'KPROBE' }),
    /verifying programs of type KPROBE/,
  );
});
