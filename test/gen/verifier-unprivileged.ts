// Plausible socket filters for the differential test of unprivileged loading (the kernel's side
// runs as nobody: test/gen/unprivileged-kernel.ts): map value and stack pointers moved by
// immediates and by registers (one sign or mixed, bounded or not, different on two paths), a
// stack pointer subtracted from, pointers leaked into a map, the return value or a comparison,
// branches the verifier decides with unsafe code behind them (walked under speculation by the
// kernel), scalars stored to the stack and read back as offsets, helpers unprivileged loads may
// not call, and loops. Deterministic: a seed gives one program.

import { mapSpec } from './oob-cases.js';
import { type GeneratedProgram, generated, rng } from './verifier-programs.js';

/** A lookup of `key` (on the stack at fp-4) in map `map`: the value pointer or NULL in r0. */
const lookup = (map: string, key: number): string[] => [
  `r1 = ${key}`,
  '*(u32 *)(r10 - 4) = r1',
  'r2 = r10',
  'r2 += -4',
  `r1 = map(${map}) ll`,
  'call 1',
];
/** A lookup in `m` (16-byte values) with the value pointer in r0, or exit 0 on NULL (at `out`). */
const LOOKUP = [...lookup('m', 0), 'if r0 == 0 goto out'];
const OUT = ['out:', 'r0 = 0', 'exit'];
const SIZES = ['u8', 'u16', 'u32', 'u64'] as const;
const SIZE_BYTES = { u8: 1, u16: 2, u32: 4, u64: 8 } as const;

export function generateUnprivileged(seed: number): GeneratedProgram {
  // Half the seeds compose fragments into one program; half are one shape alone.
  if (seed % 2 === 0) return composed(seed);
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  const int = (lo: number, hi: number) => lo + (next() % (hi - lo + 1));
  const sign = (n: number) => (n < 0 ? `- ${-n}` : `+ ${n}`);
  const lines: string[] = [];
  const kind = int(0, 6);
  if (kind === 0) {
    // A map value pointer moved by a scalar read from the value: masked, shifted to mixed sign,
    // or left unbounded; added or subtracted, through the pointer or into the scalar.
    lines.push(...LOOKUP, 'r1 = *(u32 *)(r0 + 0)');
    const shape = int(0, 4);
    if (shape === 0) lines.push(`r1 &= ${pick([1, 3, 7, 15, 31])}`);
    else if (shape === 1) lines.push(`r1 &= ${pick([3, 7, 15])}`, `r1 -= ${int(1, 8)}`);
    else if (shape === 2) lines.push(`if r1 > ${int(0, 20)} goto out`);
    else if (shape === 3) lines.push('r1 = 4');
    const op = pick(['+=', '+=', '-=']);
    if (next() % 4 === 0 && op === '+=') lines.push('r1 += r0', 'r0 = r1');
    else lines.push(`r0 ${op} r1`);
    lines.push(`r1 = *(${pick(SIZES)} *)(r0 ${sign(int(-4, 16))})`, ...OUT);
  } else if (kind === 1) {
    // Two paths reach one pointer addition with different offsets (or the same).
    const a = int(0, 8);
    const b = next() % 2 === 0 ? a : int(0, 8);
    lines.push(...LOOKUP, 'r2 = *(u32 *)(r0 + 0)', `r1 = ${a}`, 'if r2 > 7 goto join', `r1 = ${b}`);
    lines.push(
      'join:',
      next() % 2 === 0 ? 'r0 += r1' : 'r1 &= 15',
      'r0 += r1',
      `r1 = *(u8 *)(r0 + ${int(0, 8)})`,
      ...OUT,
    );
  } else if (kind === 2) {
    // A stack pointer moved by immediates (maybe out of the frame on the way) or a register.
    const first = pick([-520, -512, -16, -8, 0, 8, 16]);
    const second = int(-16, 16);
    lines.push('r2 = r10', `r2 += ${first}`);
    const how = int(0, 3);
    if (how === 0) lines.push(`r2 += ${second}`);
    else if (how === 1) lines.push(`r2 -= ${second}`);
    else if (how === 2) lines.push(`r3 = ${second}`, 'r2 += r3');
    else lines.push('r3 = *(u32 *)(r1 + 0)', 'r3 &= 7', 'r2 += r3');
    lines.push('r1 = 0', `*(${pick(SIZES)} *)(r2 + 0) = r1`, 'r0 = 0', 'exit');
  } else if (kind === 3) {
    // A pointer where unprivileged loads may not put one.
    const what = int(0, 9);
    if (what === 0) lines.push(...LOOKUP, '*(u64 *)(r0 + 0) = r10', ...OUT);
    else if (what === 1) lines.push('r0 = r10', 'r0 += -8', 'exit');
    else if (what === 2) lines.push('r2 = r10', 'if r2 == r1 goto +1', 'r0 = 1', 'r0 = 0', 'exit');
    else if (what === 3) lines.push('r2 = r10', 'r2 -= r1', 'r0 = 0', 'exit');
    else if (what === 4) lines.push('w2 = w10', 'r0 = 0', 'exit');
    else if (what === 5) lines.push('*(u64 *)(r10 - 8) = r1', 'r0 = *(u64 *)(r10 - 8)', 'r0 = 0', 'exit');
    else if (what === 6)
      lines.push('r2 = r1', `r2 ${pick(['&=', '|=', '<<=', '*=', '/='])} 4`, 'r0 = 0', 'exit');
    else if (what === 7)
      lines.push('r2 = r10', pick(['r2 = -r2', 'r2 = be16 r2', 'r2 = le64 r2']), 'r0 = 0', 'exit');
    else if (what === 8) lines.push('r2 = r1', 'r3 = r10', 'r2 -= r3', 'r0 = r2', 'exit');
    else
      lines.push(
        'r2 = r10',
        'r2 += -8',
        '*(u64 *)(r10 - 16) = r2',
        'r1 = *(u64 *)(r10 - 16)',
        'r0 = *(u64 *)(r1 + 0)',
        'exit',
      );
  } else if (kind === 4) {
    // A branch the verifier decides, with an out-of-frame read or a bad map access behind it.
    const v = int(0, 3);
    lines.push(`r2 = ${v}`, `if r2 ${pick(['==', '!=', '>', '<'])} ${int(0, 3)} goto skip`);
    lines.push(next() % 2 === 0 ? `r0 = *(u8 *)(r10 - ${pick([8, 600])})` : 'r0 = *(u8 *)(r1 + 4000)');
    lines.push('skip:', 'r0 = 0', 'exit');
  } else if (kind === 5) {
    // A scalar stored to the stack and read back as a bounded offset (unprivileged, not spilled).
    lines.push(...LOOKUP, 'r1 = *(u32 *)(r0 + 0)', 'r1 &= 7', `*(u64 *)(r10 - 16) = r1`);
    lines.push(
      `r1 = *(${pick(['u64', 'u32', 'u8'])} *)(r10 - 16)`,
      'r0 += r1',
      'r1 = *(u8 *)(r0 + 0)',
      ...OUT,
    );
  } else {
    // A helper (some only CAP_BPF or CAP_PERFMON loads may call), or a loop.
    if (next() % 3 === 0) lines.push('r0 = 0', 'r1 = 3', 'r1 -= 1', 'if r1 != 0 goto -2', 'exit');
    else {
      const id = pick([5, 6, 7, 8, 93, 94]);
      lines.push('r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r1 = r10', 'r1 += -8', 'r2 = 8', 'r3 = 0');
      lines.push(`call ${id}`, 'r0 = 0', 'exit');
    }
  }
  return generated(
    seed,
    lines,
    'SOCKET_FILTER',
    lines.some((l) => l.includes('map(m)')) ? [mapSpec('m', 'ARRAY', 4, 16, 4)] : [],
  );
}

/**
 * Two to five fragments in one socket filter or cgroup skb program, the context kept in r9: lookups (null check right,
 * inverted or missing) with accesses and variable offsets into the value, context field reads
 * and writes, bpf_skb_load_bytes and legacy packet loads into the stack, pointers spilled to the
 * stack and read back (or overwritten in part), map updates from stack bytes that may be
 * uninitialised or hold a pointer, ring buffer output, branches the verifier decides over unsafe
 * code, socket fields through skb->sk and bpf_sk_fullsock. Each fragment falls through to the next; a failed lookup leaves through `out`.
 */
function composed(seed: number): GeneratedProgram {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  const int = (lo: number, hi: number) => lo + (next() % (hi - lo + 1));
  const sign = (n: number) => (n < 0 ? `- ${-n}` : `+ ${n}`);
  // A test of the packet's length first, so that `out` is reached on some path.
  const lines = ['r9 = r1', 'r1 = *(u32 *)(r9 + 0)', 'if r1 == 0 goto out'];
  let label = 0;
  const fresh = () => `l${label++}`;
  const fragments = int(2, 5);
  for (let n = 0; n < fragments; n++) {
    const kind = int(0, 10);
    if (kind === 0) {
      // A lookup, its check, an access into the value.
      lines.push(...lookup(pick(['m', 'h']), int(0, 5)));
      const check = int(0, 9);
      if (check === 0) lines.push('if r0 != 0 goto out');
      else if (check !== 1) lines.push('if r0 == 0 goto out');
      const size = pick(SIZES);
      const at = next() % 4 === 0 ? int(-2, 16) : int(0, 16 - SIZE_BYTES[size]) & ~(SIZE_BYTES[size] - 1);
      lines.push(
        next() % 2 === 0
          ? `r1 = *(${size} *)(r0 ${sign(at)})`
          : `*(${size} *)(r0 ${sign(at)}) = ${pick(['r9', '7', '7', 'r1', 'r1'])}`,
      );
    } else if (kind === 1) {
      // A variable offset into a checked value.
      lines.push(...lookup('m', int(0, 3)), 'if r0 == 0 goto out', 'r6 = r0', 'r1 = *(u32 *)(r6 + 0)');
      lines.push(`r1 &= ${pick([1, 3, 3, 7, 7, 15, 31])}`);
      if (next() % 3 === 0) lines.push(`r1 ${pick(['-=', '+=', '<<='])} ${int(1, 4)}`);
      lines.push(`r6 ${pick(['+=', '+=', '+=', '-='])} r1`, `r2 = *(${pick(SIZES)} *)(r6 + ${int(0, 8)})`);
    } else if (kind === 2) {
      // A context field read or written.
      const off = pick([0, 4, 8, 12, 16, 16, 20, 48, 52, 64, 48, 76, 140, 200]);
      if (next() % 3 === 0) lines.push(`*(u32 *)(r9 + ${off}) = ${pick(['7', 'r9'])}`);
      else lines.push(`r2 = *(${pick(['u32', 'u32', 'u16', 'u64'])} *)(r9 + ${off})`);
    } else if (kind === 3) {
      // bpf_skb_load_bytes into the stack, then a read of what it wrote (or past it).
      const len = pick([1, 4, 8, 16, 0]);
      const at = pick([-16, -24, -32, -32, -512, -520]);
      lines.push('r1 = r9', `r2 = ${int(0, 40)}`, 'r3 = r10', `r3 += ${at}`, `r4 = ${len}`, 'call 26');
      lines.push(`r2 = *(u8 *)(r10 ${sign(next() % 3 === 0 ? pick([-16, -24, -40]) : at)})`);
    } else if (kind === 4) {
      // A legacy packet load (r6 must hold the context).
      lines.push(
        next() % 3 === 0 ? 'r6 = r10' : 'r6 = r9',
        `r0 = *(${pick(['u8', 'u16', 'u32'])} *)skb[${int(0, 64)}]`,
      );
    } else if (kind === 5) {
      // A pointer spilled and read back, maybe overwritten in part first.
      const ptr = pick(['r9', 'r10']);
      lines.push(`*(u64 *)(r10 - 48) = ${ptr}`);
      if (next() % 5 === 0) lines.push(`*(${pick(['u8', 'u32'])} *)(r10 - ${pick([48, 44])}) = 0`);
      lines.push(`r3 = *(${pick(['u64', 'u64', 'u32'])} *)(r10 - 48)`, 'r3 = *(u32 *)(r3 + 0)');
    } else if (kind === 6) {
      // A map update from stack bytes: written, partly written, or a spilled pointer.
      lines.push('r1 = 0', '*(u32 *)(r10 - 4) = r1');
      const value = int(0, 4) % 3;
      if (value === 0) lines.push('*(u64 *)(r10 - 24) = r1', '*(u64 *)(r10 - 16) = r1');
      else if (value === 1) lines.push('*(u64 *)(r10 - 24) = r1');
      else lines.push('*(u64 *)(r10 - 24) = r9', '*(u64 *)(r10 - 16) = r1');
      lines.push(
        'r2 = r10',
        'r2 += -4',
        'r3 = r10',
        'r3 += -24',
        'r4 = 0',
        `r1 = map(${pick(['m', 'h'])}) ll`,
        'call 2',
      );
    } else if (kind === 7) {
      // Ring buffer output of stack bytes.
      lines.push('r1 = 0', '*(u64 *)(r10 - 32) = r1', 'r2 = r10', `r2 += ${pick([-32, -32, -40])}`);
      lines.push(`r3 = ${pick([8, 16])}`, 'r4 = 0', 'r1 = map(rb) ll', 'call 130');
    } else if (kind === 8) {
      // A branch decided by constants, with something unsafe on the edge not taken.
      const skip = fresh();
      lines.push(`r4 = ${int(0, 2)}`, `if r4 ${pick(['==', '!=', '>'])} ${int(0, 2)} goto ${skip}`);
      lines.push(
        pick(['r2 = *(u64 *)(r10 - 200)', 'r2 = *(u32 *)(r9 + 4000)', 'r4 = r10', 'r2 = *(u8 *)(r4 + 0)']),
      );
      lines.push(`${skip}:`);
    } else if (kind === 10) {
      // skb->sk (NULL-checked or not), maybe made full by bpf_sk_fullsock (cgroup skb only), and a
      // field read at a plausible offset: whole, in part, inside padding, misaligned or past the end.
      const skip = fresh();
      lines.push('r7 = *(u64 *)(r9 + 168)');
      if (next() % 8 !== 0) lines.push(`if r7 == 0 goto ${skip}`);
      if (next() % 2 === 0) lines.push('r1 = r7', 'call 95', 'r7 = r0', `if r7 == 0 goto ${skip}`);
      const off = pick([0, 4, 4, 5, 8, 12, 16, 24, 27, 28, 42, 44, 48, 49, 50, 52, 56, 72, 76, 80]);
      lines.push(`r2 = *(${pick(SIZES)} *)(r7 + ${off})`, `${skip}:`);
    } else {
      // Scalar arithmetic on a context field, decided or not.
      lines.push('r2 = *(u32 *)(r9 + 0)', `r2 ${pick(['&=', '>>=', '/=', '%=', '*='])} ${int(1, 9)}`);
      const skip = fresh();
      lines.push(`if r2 ${pick(['>', '<', '=='])} ${int(0, 300)} goto ${skip}`, 'r2 = 0', `${skip}:`);
    }
  }
  lines.push('r0 = 0', 'exit', ...OUT);
  const maps = [
    mapSpec('m', 'ARRAY', 4, 16, 4),
    mapSpec('h', 'HASH', 4, 16, 8),
    mapSpec('rb', 'RINGBUF', 0, 0, 4096),
  ];
  // A third of them cgroup skb programs (the other type unprivileged loads may have).
  return generated(
    seed,
    lines,
    seed % 3 === 0 ? 'CGROUP_SKB' : 'SOCKET_FILTER',
    maps.filter((m) => lines.some((l) => l.includes(`map(${m.name})`))),
  );
}
