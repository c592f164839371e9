// Sockets against kernel 6.18: which loads each socket pointer type allows (every offset and
// size, uapi/bpf-sock.ts; an XSKMAP lookup's xdp_sock too) on both verifiers, and what the test run's socket holds — every
// readable field through skb->sk and through bpf_sk_fullsock, and what bpf_tcp_sock and
// bpf_get_listener_sock return — on both backends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { asm, oneProgram, runBoth } from '../../../test/gen/helper-parity.js';
import { assembleCase, mapSpec } from '../../../test/gen/oob-cases.js';
import { MemoryFault, NotSupportedError, RuntimeFault } from '../../errors.js';
import { bpfAvailability } from '../../kernel/available.js';
import { loadKernel, loadProgram } from '../../kernel/index.js';
import { packet } from '../../kernel/test-fixtures.js';
import type { CollectionSpec } from '../../program/index.js';
import { BPF_SOCK_SIZE, type SockKind, sockLoadAllowed } from '../../uapi/bpf-sock.js';
import { SkBuff } from '../../uapi/context.js';
import type { ProgTypeName } from '../../uapi/prog-types.js';
import { programInput, verifyProgram } from '../../verifier/index.js';
import type { TestRunInput } from '../backend.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

const LOAD = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;
const SIZES = [1, 2, 4, 8] as const;
/** The socket kinds skb->sk leads to (xdp_sock comes from an XSKMAP: test/verifier/sockets.vcase). */
type SkbSockKind = Exclude<SockKind, 'xdp_sock'>;
/** The helper that turns skb->sk into each kind (none: skb->sk itself). */
const VIA: Readonly<Record<SkbSockKind, number | undefined>> = {
  sock_common: undefined,
  sock: 95,
  tcp_sock: 96,
};

/**
 * Loads `size` bytes at `off` from a socket of `kind` (skb->sk, through its helper) into cb[0]
 * and cb[1]; returns 1, or 0 where a pointer was NULL. Eleven slots whichever the kind.
 */
function reader(kind: SkbSockKind, off: number, size: 1 | 2 | 4 | 8) {
  const via = VIA[kind];
  return asm([
    'r6 = r1',
    'r0 = 0',
    `r2 = *(u64 *)(r1 + ${SkBuff.sk!})`,
    'if r2 == 0 goto +10',
    ...(via === undefined
      ? ['r0 = 0', 'r0 = 0', 'r0 = 0', 'r0 = 0', 'r0 = 0']
      : ['r1 = r2', `call ${via}`, 'r2 = r0', 'r0 = 0', 'if r2 == 0 goto +5']),
    `r3 = *(${LOAD[size]} *)(r2 ${off < 0 ? '-' : '+'} ${Math.abs(off)})`,
    `*(u32 *)(r6 + ${SkBuff.cb!}) = r3`,
    'r3 >>= 32',
    `*(u32 *)(r6 + ${SkBuff.cb! + 4}) = r3`,
    'r0 = 1',
    'exit',
  ]);
}

test('every offset and size through each socket pointer: the kernel verdict on both verifiers', {
  skip,
}, () => {
  let loads = 0;
  for (const kind of ['sock_common', 'sock', 'tcp_sock'] as const) {
    for (const size of SIZES) {
      for (let off = -8; off < 120; off++) {
        const insns = reader(kind, off, size);
        let kernel: boolean;
        try {
          loadProgram({ type: 'SCHED_CLS', insns, license: 'GPL' }).close();
          kernel = true;
        } catch {
          kernel = false;
        }
        const ours = verifyProgram({ instructions: insns, type: 'SCHED_CLS', maps: [] });
        const what = `${kind} off=${off} size=${size}`;
        assert.equal(sockLoadAllowed(kind, off, size), kernel, what);
        assert.equal(ours.verdict === 'accepted', kernel, `${what}\n${ours.log}`);
        loads++;
      }
    }
  }
  assert.equal(loads, 3 * 4 * 128);
});

/** A program of `type` that looks slot 0 of XSKMAP `x` up and goes on with `tail` (r0: the socket or NULL). */
function xskLookup(type: ProgTypeName, tail: string): CollectionSpec {
  const { instructions } = assembleCase(`r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map(x) ll
call 1
${tail}`);
  return { ...oneProgram(type, instructions), maps: [mapSpec('x', 'XSKMAP', 4, 4, 4, 0)] };
}

test('every offset and size through an XSKMAP lookup (xdp_sock): the kernel verdict on both verifiers', {
  skip,
}, () => {
  let loads = 0;
  for (const size of SIZES) {
    for (let off = -8; off < 16; off++) {
      const spec = xskLookup(
        'XDP',
        `if r0 == 0 goto +1
r0 = *(${LOAD[size]} *)(r0 ${off < 0 ? '-' : '+'} ${Math.abs(off)})
r0 = 2
exit`,
      );
      let kernel: boolean;
      try {
        loadKernel(spec).close();
        kernel = true;
      } catch {
        kernel = false;
      }
      const ours = verifyProgram(programInput(spec, spec.programs[0]!));
      const what = `xdp_sock off=${off} size=${size}`;
      assert.equal(sockLoadAllowed('xdp_sock', off, size), kernel, what);
      assert.equal(ours.verdict === 'accepted', kernel, `${what}\n${ours.log}`);
      loads++;
    }
  }
  assert.equal(loads, 4 * 24);
});

// IPv4, IPv6 and ARP (no IP header: no addresses, no family), with a ctx so that cb comes back.
const INPUTS: readonly TestRunInput[] = ['ipv4_tcp_syn', 'ipv6_udp', 'arp_request'].map((name) => ({
  data: packet(name),
  ctx: new Uint8Array(SkBuff.sk! + 24),
}));

test('the test run socket: every readable byte through skb->sk and bpf_sk_fullsock, on both backends', {
  skip,
}, () => {
  const types: readonly ProgTypeName[] = ['SOCKET_FILTER', 'SCHED_CLS', 'CGROUP_SKB'];
  let compared = 0;
  for (const type of types) {
    // Socket filters have no socket helpers: skb->sk only.
    for (const kind of type === 'SOCKET_FILTER'
      ? (['sock_common'] as const)
      : (['sock_common', 'sock'] as const)) {
      for (const size of SIZES) {
        for (let off = 0; off < BPF_SOCK_SIZE; off += size) {
          if (!sockLoadAllowed(kind, off, size)) continue;
          for (const [k, r] of runBoth(type, reader(kind, off, size), INPUTS).entries()) {
            assert.deepEqual(r.vm, r.kernel, `${type} ${kind} off=${off} size=${size}, input ${k}`);
            assert.deepEqual('retval' in r.kernel && r.kernel.retval, 1, 'the kernel gave a full socket');
            compared++;
          }
        }
      }
    }
  }
  assert.ok(compared > 500, `${compared} runs compared`);
});

test('bpf_tcp_sock and bpf_get_listener_sock: NULL for the test run socket (closed, no protocol)', {
  skip,
}, () => {
  for (const id of [96, 98]) {
    const program = asm([
      `r1 = *(u64 *)(r1 + ${SkBuff.sk!})`,
      'r0 = 0',
      'if r1 == 0 goto +5',
      `call ${id}`,
      'r1 = r0',
      'r0 = 1', // NULL
      'if r1 == 0 goto +1',
      'r0 = 0',
      'exit',
    ]);
    for (const type of ['SCHED_CLS', 'CGROUP_SKB'] as const) {
      for (const [k, r] of runBoth(type, program, INPUTS).entries()) {
        assert.deepEqual(r.vm, r.kernel, `helper ${id}, ${type}, input ${k}`);
        assert.deepEqual('retval' in r.kernel && r.kernel.retval, 1, 'the kernel returned NULL');
      }
    }
  }
});

test('unverified: a socket is read-only, ends at 80 bytes, and only skb->sk is a socket to the helpers', () => {
  const run = (lines: string[]) => {
    using c = load(oneProgram('SCHED_CLS', asm(lines)), { verify: false });
    return c.program('p').run(INPUTS[0]!);
  };
  const sk = `r2 = *(u64 *)(r1 + ${SkBuff.sk!})`;
  assert.equal(run([sk, 'r0 = *(u32 *)(r2 + 4)', 'exit']).retval, 2, 'AF_INET');
  assert.throws(() => run([sk, 'r0 = *(u32 *)(r2 + 80)', 'exit']), MemoryFault);
  assert.throws(() => run([sk, 'r3 = 1', '*(u32 *)(r2 + 16) = r3', 'r0 = 0', 'exit']), MemoryFault);
  assert.throws(() => run(['r1 += 8', 'call 95', 'exit']), RuntimeFault);
});

test('a socket lookup verifies and loads, and running it is NotSupportedError (the runtime has no host sockets)', () => {
  const program = asm([
    'r6 = r1',
    'r1 = 0',
    '*(u64 *)(r10 - 8) = r1',
    '*(u64 *)(r10 - 16) = r1',
    'r1 = r6',
    'r2 = r10',
    'r2 += -16',
    'r3 = 12',
    'r4 = -1',
    'r5 = 0',
    'call 84',
    'if r0 == 0 goto +2',
    'r1 = r0',
    'call 86',
    'r0 = 0',
    'exit',
  ]);
  using c = load(oneProgram('SCHED_CLS', program));
  assert.throws(() => c.program('p').run(INPUTS[0]!), NotSupportedError);
});

test("an AF_XDP socket as bpf_sk_fullsock's socket: the kernel takes it, tsbpf's verifier says NotSupported", {
  skip,
}, () => {
  const spec = xskLookup('SCHED_CLS', 'if r0 == 0 goto +2\nr1 = r0\ncall 95\nr0 = 0\nexit');
  loadKernel(spec).close();
  assert.throws(
    () => verifyProgram(programInput(spec, spec.programs[0]!)),
    (e: unknown) => e instanceof NotSupportedError && /xdp_sock/.test(e.message),
  );
});
