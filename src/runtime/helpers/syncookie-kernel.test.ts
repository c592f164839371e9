// The SYN-cookie helpers against the kernel. The kernel's secret is random per boot and never
// leaves it, so cookies cannot be compared value for value, nor a kernel cookie checked by the VM
// (asserted: refused) or the reverse. What is compared on both backends: the MSS each SYN is
// given (MSS table, option parsing, -EINVAL for a bad th_len), the cookie's structure (cookie -
// seq is fixed for a flow within a minute; the MSS index sits in the low 24 bits), and that a
// cookie checks on the backend that made it (0) and fails when altered (-EACCES). In the VM,
// collections sharing `syncookieSecret` accept each other's cookies, and age them by the clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { asm, oneProgram, runBoth } from '../../../test/gen/helper-parity.js';
import { virtualClock } from '../../index.js';
import type { Instruction } from '../../isa/index.js';
import { bpfAvailability } from '../../kernel/available.js';
import { loadProgram } from '../../kernel/index.js';
import { siphash24 } from './siphash.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

/** Ethernet + IPv4/IPv6 + a TCP SYN (seq 0x01020304) with `options` (doff covers them). */
function syn(v6: boolean, options: readonly number[], doff?: number): Uint8Array {
  const l3 = v6 ? 40 : 20;
  const b = new Uint8Array(14 + l3 + 20 + options.length);
  b.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00], 0);
  if (v6) {
    b.set([0x60, 0, 0, 0, 0, 20 + options.length, 6, 64], 14);
    for (let i = 0; i < 32; i++) b[22 + i] = (i * 29 + 1) & 0xff;
  } else b.set([0x45, 0, 0, 40 + options.length, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  const th = 14 + l3;
  b.set(
    [0x9c, 0x40, 0, 80, 1, 2, 3, 4, 0, 0, 0, 0, ((doff ?? 5 + options.length / 4) << 4) & 0xff, 0x02],
    th,
  );
  b.set(options, th + 20);
  return b;
}

const MSS = (m: number) => [2, 4, m >> 8, m & 0xff];

/**
 * With the context in r9 (callers start with r9 = r1), loads data/data_end (xdp_md or __sk_buff offsets),
 * bounds-checks `len` bytes, points r1 at the IP header and r2 at TCP.
 */
function prologue(v6: boolean, len: number, tc = false): string[] {
  const th = 14 + (v6 ? 40 : 20);
  return [
    `r6 = *(u32 *)(r9 + ${tc ? 76 : 0})`,
    `r7 = *(u32 *)(r9 + ${tc ? 80 : 4})`,
    'r2 = r6',
    `r2 += ${len}`,
    'if r2 <= r7 goto +2',
    'r0 = 1',
    'exit',
    'r1 = r6',
    'r1 += 14',
    'r2 = r6',
    `r2 += ${th}`,
  ];
}

const gen = (v6: boolean) => (v6 ? 205 : 204);
const chk = (v6: boolean) => (v6 ? 207 : 206);

/** Returns r0 >> 32 of the generator: the MSS (0xffffffff for an error). */
function mssProgram(v6: boolean, thLen: number, tc = false): Instruction[] {
  const len = 14 + (v6 ? 40 : 20) + thLen;
  return asm(['r9 = r1', ...prologue(v6, len, tc), `r3 = ${thLen}`, `call ${gen(v6)}`, 'r0 >>= 32', 'exit']);
}

test('tcp_raw_gen_syncookie: the MSS given for each SYN, and -EINVAL for a bad th_len', { skip }, () => {
  for (const v6 of [false, true]) {
    const inputs = [100, 536, 1000, 1220, 1300, 1420, 1440, 1460, 1500, 8940, 9000, 0].map((m) => ({
      data: syn(v6, MSS(m)),
    }));
    inputs.push({ data: syn(v6, [1, 1, 1, 1]) }, { data: syn(v6, [1, ...MSS(1460).slice(0, 3)]) });
    inputs.push({ data: syn(v6, [8, 2, 0, 0]) }, { data: syn(v6, [0, ...MSS(1460).slice(1)]) });
    inputs.push({ data: syn(v6, MSS(1460), 5) }, { data: syn(v6, MSS(1460), 7) });
    for (const r of runBoth('XDP', mssProgram(v6, 24), inputs)) assert.deepEqual(r.vm, r.kernel, `v6 ${v6}`);
    for (const r of runBoth('SCHED_CLS', mssProgram(v6, 24, true), inputs.slice(0, 3)))
      assert.deepEqual(r.vm, r.kernel, `tc v6 ${v6}`);
  }
});

/** Swaps the u32 at r6 + off to host order, adds `add`, swaps back. */
const bump = (off: number, add: number) => [
  `r1 = *(u32 *)(r6 + ${off})`,
  'r1 = be32 r1',
  `r1 += ${add}`,
  'r1 = be32 r1',
  `*(u32 *)(r6 + ${off}) = r1`,
];

test('cookies have the kernel structure: seq added in, MSS index in the low 24 bits', { skip }, () => {
  for (const v6 of [false, true]) {
    const th = 14 + (v6 ? 40 : 20);
    const len = th + 24;
    const again = [...prologue(v6, len), 'r3 = 24', `call ${gen(v6)}`, 'r0 -= r8', 'r0 &= 0xffffff', 'exit'];
    const seqDiff = asm([
      'r9 = r1',
      ...prologue(v6, len),
      'r3 = 24',
      `call ${gen(v6)}`,
      'r8 = r0',
      ...bump(th + 4, 1000),
      ...again.map((l) => l.replace('r0 &= 0xffffff', 'r0 &= 0xffffffff')),
    ]);
    // MSS option 1460 (v6: 8940, index 3) then 100 (index 0): the low bits differ by 3.
    const mssDiff = asm([
      'r9 = r1',
      ...prologue(v6, len),
      'r3 = 24',
      `call ${gen(v6)}`,
      'r8 = r0',
      `*(u16 *)(r6 + ${th + 22}) = 0x6400`,
      ...again,
    ]);
    const data = syn(v6, MSS(v6 ? 8940 : 1460));
    for (const [p, want] of [
      [seqDiff, 1000],
      [mssDiff, 0xffffff - 2],
    ] as const) {
      for (const r of runBoth('XDP', p, [{ data }])) {
        assert.deepEqual(r.vm, r.kernel);
        assert.equal((r.kernel as { retval: number }).retval, want);
      }
    }
  }
});

/** Generates a cookie, turns the SYN into its ACK (seq + 1, ack = cookie + 1 + `tamper`), checks it. */
function roundTrip(v6: boolean, tamper: number): Instruction[] {
  const th = 14 + (v6 ? 40 : 20);
  return asm([
    'r9 = r1',
    ...prologue(v6, th + 24),
    'r3 = 24',
    `call ${gen(v6)}`,
    `r0 += ${1 + tamper}`,
    'r0 = be32 r0',
    `*(u32 *)(r6 + ${th + 8}) = r0`,
    ...bump(th + 4, 1),
    ...prologue(v6, th + 24),
    `call ${chk(v6)}`,
    'exit',
  ]);
}

test('tcp_raw_check_syncookie accepts its own backend cookie, refuses altered ones', { skip }, () => {
  for (const v6 of [false, true]) {
    const data = syn(v6, MSS(v6 ? 8940 : 1460));
    for (const [tamper, errno] of [
      [0, 0],
      [1, 13], // MSS index 4: none
      [0x1000000, 13], // a cookie from the future
      [-0x2000000, 13], // two minutes old
    ] as const) {
      for (const r of runBoth('XDP', roundTrip(v6, tamper), [{ data }])) {
        // The packets differ (each holds its backend's cookie); the verdicts must not.
        const want = errno === 0 ? 0 : -errno >>> 0;
        assert.equal((r.kernel as { retval: number }).retval, want, `kernel: v6 ${v6} tamper ${tamper}`);
        assert.equal((r.vm as { retval: number }).retval, want, `vm: v6 ${v6} tamper ${tamper}`);
      }
    }
  }
});

/** An ACK for `cookie` (for the syn() flow) and the program checking it. */
function ackFor(v6: boolean, cookie: number): { data: Uint8Array; insns: Instruction[] } {
  const th = 14 + (v6 ? 40 : 20);
  const data = syn(v6, MSS(1460));
  const v = new DataView(data.buffer);
  v.setUint32(th + 4, 0x01020305);
  v.setUint32(th + 8, (cookie + 1) >>> 0);
  return { data, insns: asm(['r9 = r1', ...prologue(v6, th + 20), `call ${chk(v6)}`, 'exit']) };
}

const cookieProgram = (v6: boolean) => {
  const th = 14 + (v6 ? 40 : 20);
  return asm(['r9 = r1', ...prologue(v6, th + 24), 'r3 = 24', `call ${gen(v6)}`, 'exit']);
};

test('a kernel cookie fails in the VM, a VM cookie in the kernel (the kernel secret stays inside)', {
  skip,
}, () => {
  const EACCES = -13 >>> 0;
  for (const v6 of [false, true]) {
    const data = syn(v6, MSS(1460));
    const [r] = runBoth('XDP', cookieProgram(v6), [{ data }]);
    const kernelCookie = (r!.kernel as { retval: number }).retval;
    const vmCookie = (r!.vm as { retval: number }).retval;
    const k = ackFor(v6, kernelCookie);
    using vm = load(oneProgram('XDP', k.insns));
    assert.equal(vm.program('p').run({ data: k.data }).retval, EACCES);
    const v = ackFor(v6, vmCookie);
    const kernel = loadProgram({ type: 'XDP', insns: v.insns });
    try {
      assert.equal(kernel.testRun({ data: v.data }).retval, EACCES);
    } finally {
      kernel.close();
    }
  }
});

test('VM collections sharing syncookieSecret check each other cookies, within two minutes', () => {
  const secret = Uint8Array.from({ length: 64 }, (_, i) => i * 7);
  const clock = virtualClock();
  for (const v6 of [false, true]) {
    using maker = load(oneProgram('XDP', cookieProgram(v6)), { syncookieSecret: secret, clock });
    const cookie = maker.program('p').run({ data: syn(v6, MSS(1460)) }).retval;
    const ack = ackFor(v6, cookie);
    using same = load(oneProgram('XDP', ack.insns), { syncookieSecret: secret, clock });
    using other = load(oneProgram('XDP', ack.insns), { syncookieSecret: secret.map((b) => b ^ 1), clock });
    assert.equal(same.program('p').run({ data: ack.data }).retval, 0);
    assert.equal(other.program('p').run({ data: ack.data }).retval, -13 >>> 0);
    clock.advance(60_000_000_000n);
    assert.equal(same.program('p').run({ data: ack.data }).retval, 0, 'one minute later');
    clock.advance(60_000_000_000n);
    assert.equal(same.program('p').run({ data: ack.data }).retval, -13 >>> 0, 'two minutes later');
  }
  assert.throws(
    () => load(oneProgram('XDP', cookieProgram(false)), { syncookieSecret: new Uint8Array(3) }),
    /64/,
  );
});

test('siphash24: the reference vectors of the SipHash paper', () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  assert.equal(siphash24(new Uint8Array(0), key), 0x726fdb47dd0e0e31n);
  assert.equal(
    siphash24(
      Uint8Array.from({ length: 15 }, (_, i) => i),
      key,
    ),
    0xa129ca6149be45e5n,
  );
});
