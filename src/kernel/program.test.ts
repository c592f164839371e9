// Kernel program tests: load + BPF_PROG_TEST_RUN, verifier rejections with their log,
// use-after-close, and argument checks. Skips with the reason where bpf() is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClosedError, TsbpfError, VerifierError } from '../errors.js';
import { insn, lddw, op as O } from '../isa/index.js';
import { bpfAvailability } from './available.js';
import { loadProgram } from './program.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

const mov64 = (dst: number, imm: number) => insn(O.BPF_ALU64 | O.BPF_MOV | O.BPF_K, dst, 0, 0, imm);
const exit = insn(O.OP_EXIT, 0, 0, 0, 0);
const packet = new Uint8Array(64).map((_, k) => k);

test('a socket filter returns r0 through test_run', { skip }, () => {
  using p = loadProgram({ type: 'SOCKET_FILTER', insns: [mov64(0, 42), exit], name: 'ret42' });
  assert.ok(p.fd > 0);
  assert.equal(p.insnCount, 2);
  const r = p.testRun({ data: packet, repeat: 3 });
  assert.equal(r.retval, 42);
  assert.equal(r.ctx, undefined);
  assert.ok(r.duration >= 0);
});

test('retval is the low 32 bits of r0, unsigned', { skip }, () => {
  using p = loadProgram({ type: 'SOCKET_FILTER', insns: [lddw(0, 0x1234_5678_9abc_def0n), exit] });
  assert.equal(p.testRun({ data: packet }).retval, 0x9abcdef0);
});

test('an XDP program can rewrite the packet, and data_out carries it back', { skip }, () => {
  // r2 = ctx->data; r3 = ctx->data_end; if r2 + 1 > r3 goto out; *(u8 *)r2 = 0xee; out: r0 = XDP_PASS
  const insns = [
    insn(O.BPF_LDX | O.BPF_MEM | O.BPF_W, 2, 1, 0, 0),
    insn(O.BPF_LDX | O.BPF_MEM | O.BPF_W, 3, 1, 4, 0),
    insn(O.BPF_ALU64 | O.BPF_MOV | O.BPF_X, 4, 2, 0, 0),
    insn(O.BPF_ALU64 | O.BPF_ADD | O.BPF_K, 4, 0, 0, 1),
    insn(O.BPF_JMP | O.BPF_JGT | O.BPF_X, 4, 3, 1, 0),
    insn(O.BPF_ST | O.BPF_MEM | O.BPF_B, 2, 0, 0, 0xee),
    mov64(0, 2),
    exit,
  ];
  using p = loadProgram({ type: 'XDP', insns, name: 'poke' });
  const r = p.testRun({ data: packet });
  assert.equal(r.retval, 2);
  assert.equal(r.data.length, packet.length);
  assert.equal(r.data[0], 0xee);
  assert.deepEqual(r.data.subarray(1), packet.subarray(1));
});

test('a verifier rejection carries the log and the complaint', { skip }, () => {
  assert.throws(
    () => loadProgram({ type: 'SOCKET_FILTER', insns: [exit] }),
    (e: unknown) => {
      assert.ok(e instanceof VerifierError);
      assert.equal(e.code, 'VERIFIER_REJECTED');
      assert.match(e.log, /R0 !read_ok/);
      assert.match(e.message, /R0 !read_ok/);
      assert.equal(e.pc, 0);
      return true;
    },
  );
  // A constant zero divisor is refused at load time (a register one is defined at run time).
  assert.throws(
    () =>
      loadProgram({
        type: 'XDP',
        insns: [mov64(0, 1), insn(O.BPF_ALU64 | O.BPF_DIV | O.BPF_K, 0, 0, 0, 0), exit],
      }),
    (e: unknown) => e instanceof VerifierError && /div by zero/.test(e.message) && e.pc === 1,
  );
});

test('an explicit log level keeps the log of an accepted program; a tiny log buffer is grown', {
  skip,
}, () => {
  const body = Array.from({ length: 200 }, (_, k) => mov64(k % 10, k));
  using p = loadProgram({ type: 'SOCKET_FILTER', insns: [...body, exit], logLevel: 2, logSize: 1024 });
  assert.match(p.log, /processed \d+ insns/);
  assert.ok(p.log.length > 1024, `log is ${p.log.length} bytes`);
});

test('use after close throws ClosedError; close is idempotent', { skip }, () => {
  const p = loadProgram({ type: 'SOCKET_FILTER', insns: [mov64(0, 1), exit], name: 'once' });
  p.close();
  p.close();
  assert.equal(p.closed, true);
  assert.throws(() => p.fd, ClosedError);
  assert.throws(() => p.testRun({ data: packet }), /program 'once' is closed/);
});

test('bad arguments are refused before the syscall', () => {
  const bad = (f: () => unknown, re: RegExp) =>
    assert.throws(
      f,
      (e: unknown) => e instanceof TsbpfError && e.code === 'INVALID_ARGUMENT' && re.test(e.message),
    );
  bad(() => loadProgram({ type: 'SOCKET_FILTER', insns: new Uint8Array(7) }), /multiple of 8/);
  bad(() => loadProgram({ type: 'SOCKET_FILTER', insns: [] }), /non-empty/);
  bad(
    () => loadProgram({ type: 'SOCKET_FILTER', insns: [exit], name: 'way_too_long_a_name' }),
    /longer than 15/,
  );
  bad(() => loadProgram({ type: 'SOCKET_FILTER', insns: [exit], name: 'a-b' }), /letters, digits/);
  bad(() => loadProgram({ type: 'NOPE' as 'XDP', insns: [exit] }), /unknown program type/);
});
