// Plausible programs that mix what test/gen/verifier-programs.ts generates one shape at a time:
// a program is two to six blocks run in sequence over one context — packet parses with different
// checks (the proven range carried in r7 from block to block), branches on packet bytes that
// leave a different range on each path, lookups of several maps with and without null checks,
// spills and fills of pointers and scalars, pointer arithmetic at the edges of packet, map value
// and stack, scalars bounded by masks, unsigned, signed and 32-bit comparisons and 32-bit ALU,
// bounded loops, bpf_loop callbacks (one kind moves a counter in its caller's stack that later
// invocations use as an offset), bpf-to-bpf calls passing stack and packet pointers, and
// ring-buffer records reserved and submitted or discarded (or leaked) on every path, sockets
// looked up and released (or leaked, or used after release), and socket maps looked up.
//
// Half the programs are "clean": every choice is one the kernel should accept (a refusal by
// either verifier of a clean program is worth a look); the others take a wrong choice at a
// quarter of the choice points (a missing or wrong check, an access one past the edge, a leaked
// record, a bad callback return). Deterministic: a seed gives one program, as assembly text.
//
// Register conventions of the main program: r6 the context, r7 = data (its proven range grows
// with every check whose failure leaves through `out`), r8 = data_end; r9 and r0-r5 belong to
// the block running. Blocks end at their own label; only parse checks jump to `out`.

import type { CollectionSpec, MapSpec } from '../../src/program/index.js';
import type { ProgTypeName } from '../../src/uapi/prog-types.js';
import { funcBtf, type GlobalParamText } from './func-btf.js';
import { asmProgram, assembleCase, mapSpec } from './oob-cases.js';

export interface MixedProgram {
  readonly seed: number;
  /** Every choice was one the kernel should accept. */
  readonly clean: boolean;
  /** The blocks, in order (for counting by shape). */
  readonly blocks: readonly string[];
  readonly text: string;
  readonly spec: CollectionSpec;
}

/** xorshift32 (as verifier-programs.ts), mixed so nearby seeds differ from the first draw. */
function rng(seed: number): () => number {
  let s = (Math.imul(seed, 0x9e3779b1) ^ 0x5bd1e995) | 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

interface CtxLayout {
  readonly type: ProgTypeName;
  readonly data: number;
  readonly dataEnd: number;
  /** u32 fields a program may read as unknown scalars. */
  readonly scalars: readonly number[];
  readonly ret: number;
}

/** uapi struct xdp_md and struct __sk_buff offsets (src/uapi/context.ts). */
const XDP: CtxLayout = { type: 'XDP', data: 0, dataEnd: 4, scalars: [12, 16], ret: 2 };
const TC: CtxLayout = { type: 'SCHED_CLS', data: 76, dataEnd: 80, scalars: [0, 8, 16], ret: 0 };

const SIZE_NAMES = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;
type Size = keyof typeof SIZE_NAMES;
const SIZES: readonly Size[] = [1, 2, 4, 8];

/** The maps blocks may look up: name → spec. */
const MAP_POOL: readonly MapSpec[] = [
  mapSpec('h16', 'HASH', 4, 16, 8),
  mapSpec('h24', 'HASH', 4, 24, 8),
  mapSpec('a8', 'ARRAY', 4, 8, 4),
  mapSpec('a48', 'ARRAY', 4, 48, 4),
  mapSpec('pa16', 'PERCPU_ARRAY', 4, 16, 4),
];
const RINGBUF = mapSpec('rb', 'RINGBUF', 0, 0, 4096);
/** Socket maps: an XSKMAP holds struct bpf_xdp_sock, a SOCKMAP/SOCKHASH a referenced socket. */
const XSKMAP = mapSpec('xsk', 'XSKMAP', 4, 4, 4);
const SOCK_MAPS: readonly MapSpec[] = [mapSpec('sm', 'SOCKMAP', 4, 8, 4), mapSpec('sh', 'SOCKHASH', 4, 8, 4)];

/** Helper ids (include/uapi/linux/bpf.h __BPF_FUNC_MAPPER). */
const LOOKUP = 1;
const RB_RESERVE = 131;
const RB_SUBMIT = 132;
const RB_DISCARD = 133;
const LOOP = 181;
const SK_LOOKUP_TCP = 84;
const SK_LOOKUP_UDP = 85;
const SK_RELEASE = 86;
const SK_FULLSOCK = 95;
const SKC_LOOKUP_TCP = 99;

const off = (n: number): string => (n < 0 ? `- ${-n}` : `+ ${n}`);
const mem = (size: Size, reg: string, at: number): string => `*(${SIZE_NAMES[size]} *)(${reg} ${off(at)})`;

class Builder {
  readonly lines: string[] = [];
  readonly subs: string[][] = [];
  /** Parameters of the subprograms made global (by label), for their BTF prototypes. */
  readonly globals = new Map<string, GlobalParamText[]>();
  readonly maps = new Map<string, MapSpec>();
  readonly blocks: string[] = [];
  /** Bytes of the packet proven on the fall-through path (r7's range). */
  range = 0;
  usesOut = false;
  private labels = 0;

  constructor(
    private readonly next: () => number,
    readonly ctx: CtxLayout,
    readonly clean: boolean,
  ) {}

  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.next() % xs.length]!;
  }
  chance(oneIn: number): boolean {
    return this.next() % oneIn === 0;
  }
  /** A wrong choice, never in a clean program. */
  bad(): boolean {
    return !this.clean && this.chance(4);
  }
  label(prefix: string): string {
    return `${prefix}${this.labels++}`;
  }
  emit(...ls: string[]): void {
    this.lines.push(...ls);
  }
  /**
   * A subprogram (called or a callback); returns its label. With `params` it is a global function
   * (`int f(params)` in its BTF): the kernel verifies it once from them and its callers get an
   * unknown r0.
   */
  sub(body: readonly string[], params?: GlobalParamText[]): string {
    const name = this.label('fn');
    this.subs.push([`${name}:`, ...body]);
    if (params !== undefined) this.globals.set(name, params);
    return name;
  }
  /** An unknown u32 from the context into `reg`. */
  ctxScalar(reg: string): string {
    return `${reg} = *(u32 *)(r6 + ${this.pick(this.ctx.scalars)})`;
  }
  /** An access size and an offset that fits in `limit` bytes (or, as a wrong choice, just not). */
  edge(limit: number): { size: Size; at: number } {
    const fits = SIZES.filter((s) => s <= limit);
    if (this.bad() || fits.length === 0) {
      const size = this.pick(SIZES);
      return { size, at: this.chance(5) ? -this.int(1, 4) : Math.max(0, limit - size + this.int(1, 2)) };
    }
    const size = this.pick(fits);
    // Mostly at the edge itself, where off-by-one mistakes live.
    return { size, at: this.chance(2) ? limit - size : this.int(0, limit - size) };
  }
  useMap(m: MapSpec): string {
    this.maps.set(m.name, m);
    return m.name;
  }
}

/** Proves n bytes of the packet (failure leaves through `out`), then maybe touches them. */
function parse(b: Builder): void {
  const n = b.int(1, 40);
  const form = b.bad() ? b.pick(['wrong-edge', 'missing', 'short']) : b.pick(['gt', 'lt', 'ge', 'le']);
  b.emit('r1 = r7', `r1 += ${form === 'short' ? n - 1 : n}`);
  let proven = n;
  b.usesOut = true;
  switch (form) {
    case 'gt':
    case 'short':
      b.emit('if r1 > r8 goto out');
      break;
    case 'lt':
      b.emit('if r8 < r1 goto out');
      break;
    case 'ge':
      // data + n >= data_end leaves: n + 1 bytes proven.
      b.emit('if r1 >= r8 goto out');
      proven = n + 1;
      break;
    case 'le': {
      const ok = b.label('ok');
      b.emit(`if r1 <= r8 goto ${ok}`, 'goto out', `${ok}:`);
      break;
    }
    case 'wrong-edge':
      b.emit('if r1 <= r8 goto out');
      break;
    case 'missing':
      break;
  }
  if (form === 'gt' || form === 'lt' || form === 'ge' || form === 'le') b.range = Math.max(b.range, proven);
  if (b.chance(2)) {
    const { size, at } = b.edge(form === 'short' ? n : proven);
    if (b.chance(2)) b.emit(`r0 = ${mem(size, 'r7', at)}`);
    else b.emit('r1 = 0x5a', `${mem(size, 'r7', at)} = r1`);
  }
}

/** A read through r7 within the range proven so far (parses first when nothing is). */
function packetRead(b: Builder): void {
  if (b.range === 0) parse(b);
  const { size, at } = b.edge(b.range);
  b.emit(`r0 = ${mem(size, 'r7', at)}`);
}

/** Branches on a packet byte; one path proves more; a flag in r9 remembers which. */
function pathBranch(b: Builder): void {
  if (b.range === 0) parse(b);
  const alt = b.label('alt');
  const join = b.label('join');
  const end = b.label('end');
  // A wrong parse may have proven nothing: the read of the byte is then refused.
  const known = Math.max(1, b.range);
  const big = known + b.int(1, 32);
  b.emit(
    `r1 = *(u8 *)(r7 + ${b.int(0, known - 1)})`,
    `${b.pick(['if r1 == ', 'if r1 > ', 'if r1 & '])}${b.int(0, 255)} goto ${alt}`,
    'r9 = 0',
    `goto ${join}`,
    `${alt}:`,
    'r2 = r7',
    `r2 += ${big}`,
    `if r2 > r8 goto ${end}`,
    'r9 = 1',
    `${join}:`,
    b.bad() ? 'if r9 != 0 goto +0' : `if r9 != 1 goto ${end}`,
  );
  const { size, at } = b.edge(big);
  b.emit(`r0 = ${mem(size, 'r7', at)}`, `${end}:`);
}

/**
 * Bounds the unknown scalar in `reg` (loaded by the caller) below `limit` in one of the ways
 * compilers and people write it; returns the largest value believed possible and the lines.
 */
function bound(b: Builder, reg: string, limit: number, fail: string, loadedBits: 8 | 32 | 64): number {
  const w = reg.replace('r', 'w');
  const pow = (n: number) => 2 ** Math.max(0, Math.floor(Math.log2(Math.max(1, n))));
  const mask = pow(limit) - 1;
  const form = b.pick(['and', 'ujmp', 'sjmp', 'w-and', 'w-jmp', 'shift', 'ujmp-ge']);
  const wrong = b.bad();
  switch (form) {
    case 'and':
      b.emit(`${reg} &= ${wrong ? mask * 2 + 1 : mask}`);
      return mask;
    case 'ujmp': {
      const k = Math.max(0, limit - 1);
      b.emit(wrong ? `if ${reg} s> ${k} goto ${fail}` : `if ${reg} > ${k} goto ${fail}`);
      return k;
    }
    case 'ujmp-ge':
      b.emit(`if ${reg} >= ${wrong ? limit + 1 : limit} goto ${fail}`);
      return limit - 1;
    case 'sjmp': {
      const k = Math.max(0, limit - 1);
      b.emit(`if ${reg} s> ${k} goto ${fail}`);
      // A value loaded zero-extended is never negative; a u64 needs the lower check too.
      if (loadedBits === 64 || !wrong) b.emit(`if ${reg} s< 0 goto ${fail}`);
      return k;
    }
    case 'w-and':
      b.emit(`${w} &= ${mask}`);
      if (wrong) b.emit(`${w} -= 1`);
      return mask;
    case 'w-jmp': {
      const k = Math.max(0, limit - 1);
      // A 32-bit comparison bounds a 64-bit load's low word only.
      b.emit(`if ${w} > ${k} goto ${fail}`);
      if (loadedBits === 64 && !wrong) b.emit(`${w} = ${w}`);
      return k;
    }
    case 'shift': {
      const s = b.int(1, 3);
      const m = pow(limit >> s) - 1;
      b.emit(`${reg} &= ${wrong ? m * 2 + 1 : m}`, `${reg} <<= ${s}`);
      return m << s;
    }
  }
  return limit;
}

/** data + a bounded scalar, checked again (the kernel forgets the range of a variable offset). */
function variablePacket(b: Builder): void {
  const end = b.label('end');
  const bits = b.pick([8, 32] as const);
  if (bits === 8 && b.range >= 1) b.emit(`r1 = *(u8 *)(r7 + ${b.int(0, b.range - 1)})`);
  else b.emit(b.ctxScalar('r1'));
  bound(b, 'r1', b.pick([16, 64, 256, 1500]), end, bits === 8 ? 8 : 32);
  const size = b.pick(SIZES);
  const need = b.bad() ? size - 1 : size + b.int(0, 4);
  b.emit('r2 = r7', 'r2 += r1', 'r3 = r2', `r3 += ${need}`, `if r3 > r8 goto ${end}`);
  const at = need >= size ? b.int(0, need - size) : 0;
  b.emit(`r0 = ${mem(size, 'r2', at)}`, `${end}:`);
}

/** A map lookup: a key on the stack, a null check (or not), accesses at the edges of the value. */
function lookup(b: Builder): void {
  const m = b.pick(MAP_POOL);
  const name = b.useMap(m);
  const end = b.label('end');
  const kOff = b.pick([4, 8, 12, 16, 32, 64, 128, 512]);
  if (b.chance(2)) b.emit(`r1 = ${b.int(0, 5)}`);
  else b.emit(b.ctxScalar('r1'), 'r1 &= 3');
  const keyWrite = b.bad() ? b.pick(['none', 'u16']) : 'u32';
  if (keyWrite === 'u32') b.emit(`*(u32 *)(r10 - ${kOff}) = r1`);
  else if (keyWrite === 'u16') b.emit(`*(u16 *)(r10 - ${kOff}) = r1`);
  b.emit('r2 = r10', `r2 += -${kOff}`, `r1 = map(${name}) ll`, `call ${LOOKUP}`);
  // The pointer spilled before its null check: the check must reach the spilled copy too.
  const spill = b.chance(3) ? 8 * b.int(1, 8) : 0;
  if (spill !== 0) b.emit(`*(u64 *)(r10 - ${spill}) = r0`);
  const check = b.bad() ? b.pick(['none', 'inverted']) : b.pick(['eq', 'ne']);
  if (check === 'eq') b.emit(`if r0 == 0 goto ${end}`);
  else if (check === 'ne') {
    const ok = b.label('ok');
    b.emit(`if r0 != 0 goto ${ok}`, `goto ${end}`, `${ok}:`);
  } else if (check === 'inverted') b.emit(`if r0 != 0 goto ${end}`);
  const base = spill !== 0 ? 'r5' : 'r0';
  if (spill !== 0) b.emit(`r5 = *(u64 *)(r10 - ${spill})`);
  const value = m.valueSize;
  if (b.chance(2)) {
    const { size, at } = b.edge(value);
    if (b.chance(2)) b.emit(`r1 = ${mem(size, base, at)}`);
    else b.emit('r1 = 1', `${mem(size, base, at)} = r1`);
  } else {
    // A variable offset from the value's own first bytes.
    const bits = b.pick([8, 32, 64] as const);
    b.emit(`r1 = ${mem((bits / 8) as Size, base, 0)}`);
    const size = b.pick(SIZES.filter((s) => s <= value));
    bound(b, 'r1', value - size + 1, end, bits);
    b.emit(`r2 = ${base}`, 'r2 += r1', `r1 = ${mem(size, 'r2', 0)}`);
  }
  b.emit(`${end}:`);
}

/** A pointer or scalar spilled to the stack and filled back, then used. */
function spillFill(b: Builder): void {
  const end = b.label('end');
  const slot = 8 * b.int(1, 20);
  const at = b.bad() && b.chance(2) ? slot - 4 : slot;
  const what = b.pick(['pkt', 'ctx', 'scalar', 'fp']);
  let width = 'u64';
  if (what === 'pkt') b.emit(`*(u64 *)(r10 - ${at}) = r7`);
  else if (what === 'ctx') b.emit(`*(u64 *)(r10 - ${at}) = r6`);
  else if (what === 'fp') b.emit('r1 = r10', 'r1 += -128', `*(u64 *)(r10 - ${at}) = r1`);
  else {
    b.emit(b.ctxScalar('r1'), `r1 &= ${b.pick([7, 15, 63])}`);
    width = b.chance(3) ? 'u32' : 'u64';
    b.emit(`*(${width} *)(r10 - ${at}) = r1`);
  }
  // A wrong choice: overwrite part of the spilled register.
  if (b.bad()) b.emit('r1 = 0', `${mem(1, 'r10', b.int(0, 7) - at)} = r1`);
  const narrow = b.bad() && what !== 'scalar';
  b.emit(`r2 = *(${narrow ? 'u32' : width} *)(r10 - ${at})`);
  if (what === 'pkt') {
    if (b.range === 0) b.emit('r3 = r2', 'r3 += 1', `if r3 > r8 goto ${end}`, 'r0 = *(u8 *)(r2 + 0)');
    else {
      const { size, at: o } = b.edge(b.range);
      b.emit(`r0 = ${mem(size, 'r2', o)}`);
    }
  } else if (what === 'ctx') b.emit(`r0 = *(u32 *)(r2 + ${b.pick(b.ctx.scalars)})`);
  else if (what === 'fp') {
    const o = b.bad() ? b.pick([128, 124, -392]) : b.int(0, 15) * 8;
    b.emit('r3 = 7', `*(u64 *)(r2 ${off(o)}) = r3`, `r0 = *(u64 *)(r2 ${off(o)})`);
  } else {
    const size = b.pick(SIZES);
    b.emit('r3 = r7', 'r3 += r2', 'r4 = r3', `r4 += ${size}`, `if r4 > r8 goto ${end}`);
    b.emit(`r0 = ${mem(size, 'r3', 0)}`);
  }
  b.emit(`${end}:`);
}

/** A bounded loop: the packet walked byte by byte, a stack array filled, or a sum. */
function loop(b: Builder): void {
  const top = b.label('loop');
  const end = b.label('end');
  const n = b.int(1, 24);
  const body = b.pick(['pkt', 'stack', 'sum']);
  b.emit('r9 = 0', 'r1 = 0', `${top}:`);
  if (body === 'pkt') {
    b.emit('r2 = r7', 'r2 += r1', 'r3 = r2', `r3 += ${b.bad() ? 0 : 1}`, `if r3 > r8 goto ${end}`);
    b.emit('r0 = *(u8 *)(r2 + 0)', 'r9 += r0');
  } else if (body === 'stack') {
    const shift = b.bad() ? 4 : 3;
    b.emit(
      'r2 = r1',
      'r2 &= 7',
      `r2 <<= ${shift}`,
      'r3 = r10',
      'r3 += -64',
      'r3 += r2',
      '*(u64 *)(r3 + 0) = r1',
    );
  } else b.emit('r9 += r1');
  b.emit('r1 += 1');
  const exitTest = b.pick(['lt', 'ne', 'slt', 'wlt']);
  if (exitTest === 'lt') b.emit(`if r1 < ${n} goto ${top}`);
  else if (exitTest === 'ne') b.emit(`if r1 != ${n} goto ${top}`);
  else if (exitTest === 'slt') b.emit(`if r1 s< ${n} goto ${top}`);
  else b.emit(`if w1 < ${n} goto ${top}`);
  b.emit(`${end}:`);
}

/** bpf_loop with a callback reading or writing its caller's stack through the context argument. */
function bpfLoop(b: Builder): void {
  const c = 8 * b.int(1, 8);
  if (!b.bad()) b.emit('r1 = 0', `*(u64 *)(r10 - ${c}) = r1`);
  const kind = b.pick(['ret0', 'read', 'write', 'stop', 'ret-index', 'beyond', 'counter']);
  const body: string[] = [];
  if (kind === 'counter') {
    // A counter in the caller's stack that each invocation moves and uses as an offset into its
    // own stack: later invocations see what earlier ones left (bounded, or as a wrong choice not).
    const skip = b.label('skip');
    body.push('r6 = *(u64 *)(r2 + 0)', 'r7 = r6', 'r7 += 1', '*(u64 *)(r2 + 0) = r7', 'r1 = 0');
    for (let k = 8; k <= 32; k += 8) body.push(`*(u64 *)(r10 - ${k}) = r1`);
    if (!b.bad()) body.push(`if r6 > 3 goto ${skip}`);
    body.push('r6 <<= 3', 'r8 = r10', 'r8 += -32', 'r8 += r6', 'r0 = *(u8 *)(r8 + 0)', `${skip}:`, 'r0 = 0');
  } else if (kind === 'read') body.push('r0 = *(u64 *)(r2 + 0)', 'r0 = 0');
  else if (kind === 'write') body.push('*(u64 *)(r2 + 0) = r1', 'r0 = 0');
  else if (kind === 'stop') body.push('r0 = r1', 'r0 &= 1');
  else if (kind === 'ret-index') body.push(b.clean ? 'r0 = 0' : 'r0 = r1');
  else if (kind === 'beyond') body.push(`r0 = *(u64 *)(r2 + ${b.clean && c >= 16 ? 0 : 8})`, 'r0 = 0');
  else body.push(`r0 = ${b.bad() ? 2 : 0}`);
  const cb = b.sub([...body, 'exit']);
  if (b.chance(3)) b.emit(b.ctxScalar('r1'), 'r1 &= 15');
  else b.emit(`r1 = ${b.int(0, 16)}`);
  b.emit(`ld_pseudo r2, 4, @${cb}`);
  const nullCtx = b.bad() && (kind === 'read' || kind === 'write');
  b.emit(nullCtx ? 'r3 = 0' : 'r3 = r10', ...(nullCtx ? [] : [`r3 += -${c}`]), 'r4 = 0', `call ${LOOP}`);
  if (b.chance(2)) b.emit(`r0 = *(u64 *)(r10 - ${c})`);
}

/** A bpf-to-bpf call passing a stack pointer, the packet, or a scalar the caller bounds on. */
function subCall(b: Builder): void {
  const end = b.label('end');
  const kind = b.pick(['stack', 'stack-write', 'pkt-check', 'pkt-range', 'scalar']);
  // One call in three is to a global function (globals.ts): `int f(int *)` reading its argument
  // after a NULL check (a wrong choice skips it), or `int f(int)` whose r0 the caller cannot bound.
  const global = b.chance(3);
  if (kind === 'stack' || kind === 'stack-write') {
    const c = 8 * b.int(1, 6);
    b.emit('r1 = 5', `*(u64 *)(r10 - ${c}) = r1`, 'r1 = r10', `r1 += -${c}`);
    const o = b.bad() ? b.pick([8, -8, 4]) : 0;
    const checked = !b.bad();
    const f = global
      ? b.sub(
          ['r0 = 0', ...(checked ? ['if r1 == 0 goto +1'] : []), `r0 = *(u32 *)(r1 ${off(o)})`, 'exit'],
          ['int*'],
        )
      : kind === 'stack'
        ? b.sub([`r0 = *(u64 *)(r1 ${off(o)})`, 'exit'])
        : b.sub(['r2 = 9', `*(u64 *)(r1 ${off(o)}) = r2`, 'r0 = 0', 'exit']);
    b.emit(`call ${f}`, `r0 = *(u64 *)(r10 - ${c})`);
  } else if (kind === 'pkt-check') {
    const n = b.int(1, 24);
    const { size, at } = b.edge(n);
    const f = b.sub([
      'r0 = 0',
      'r3 = r1',
      `r3 += ${n}`,
      'if r3 > r2 goto +1',
      `r0 = ${mem(size, 'r1', at)}`,
      'exit',
    ]);
    b.emit('r1 = r7', 'r2 = r8', `call ${f}`);
  } else if (kind === 'pkt-range') {
    if (b.range === 0) parse(b);
    const { size, at } = b.edge(b.range);
    const f = b.sub([`r0 = ${mem(size, 'r1', at)}`, 'exit']);
    b.emit('r1 = r7', `call ${f}`);
  } else {
    const body = b.bad() ? ['r0 = r1', 'exit'] : ['r0 = r1', `r0 &= ${b.pick([7, 15, 255])}`, 'exit'];
    const f = b.sub(body, global ? ['int'] : undefined);
    b.emit(
      b.ctxScalar('r1'),
      `call ${f}`,
      'r2 = r7',
      'r2 += r0',
      'r3 = r2',
      'r3 += 1',
      `if r3 > r8 goto ${end}`,
    );
    b.emit('r0 = *(u8 *)(r2 + 0)');
  }
  b.emit(`${end}:`);
}

/** A ring-buffer record reserved, written, and submitted or discarded on each path (or not). */
function ringbuf(b: Builder): void {
  const rb = b.useMap(RINGBUF);
  const end = b.label('end');
  const disc = b.label('disc');
  const size = 8 * b.int(1, 8);
  b.emit(`r1 = map(${rb}) ll`, `r2 = ${size}`, 'r3 = 0', `call ${RB_RESERVE}`);
  if (!b.bad()) b.emit(`if r0 == 0 goto ${end}`);
  b.emit('r9 = r0');
  const { size: s, at } = b.edge(size);
  b.emit('r1 = 1', `${mem(s, 'r9', at)} = r1`);
  // A branch on data the verifier cannot know: both paths must release.
  if (b.range >= 1 && b.chance(2)) b.emit(`r1 = *(u8 *)(r7 + ${b.int(0, b.range - 1)})`);
  else b.emit(b.ctxScalar('r1'));
  b.emit(`if r1 == ${b.int(0, 8)} goto ${disc}`, 'r1 = r9', 'r2 = 0', `call ${RB_SUBMIT}`);
  if (b.bad()) b.emit('r0 = *(u8 *)(r9 + 0)');
  b.emit(`goto ${end}`, `${disc}:`);
  if (!b.bad()) b.emit('r1 = r9', 'r2 = 0', `call ${RB_DISCARD}`);
  b.emit(`${end}:`);
}

/**
 * Releases the socket in r9 on both paths of a branch the verifier cannot decide (or, as wrong
 * choices, reads it after release on one path, leaks it on the other); `rel` labels the second
 * path, `end` the block's end.
 */
function releaseSocket(b: Builder, rel: string, end: string): void {
  b.emit(b.ctxScalar('r2'), `if r2 == ${b.int(0, 8)} goto ${rel}`, 'r1 = r9', `call ${SK_RELEASE}`);
  if (b.bad()) b.emit('r0 = *(u32 *)(r9 + 4)');
  b.emit(`goto ${end}`, `${rel}:`);
  if (!b.bad()) b.emit('r1 = r9', `call ${SK_RELEASE}`);
  b.emit(`${end}:`);
}

/**
 * A socket looked up by a tuple on the stack (IPv4 or IPv6 size, or one too many), tested, a
 * field read (one a sock_common lacks, sometimes), maybe made full (tc), and released on both
 * paths of a branch the verifier cannot decide (or on one: a leak), or used after release.
 */
function socketRef(b: Builder): void {
  const end = b.label('end');
  const rel = b.label('rel');
  const size = b.pick([12, 36]) + (b.bad() ? 1 : 0);
  b.emit('r1 = 0');
  for (let k = 200; k > 200 - 40; k -= 8) b.emit(`*(u64 *)(r10 - ${k}) = r1`);
  const id = b.pick([SK_LOOKUP_TCP, SK_LOOKUP_UDP, SKC_LOOKUP_TCP]);
  b.emit('r1 = r6', 'r2 = r10', 'r2 += -200', `r3 = ${size}`, 'r4 = -1', 'r5 = 0', `call ${id}`);
  if (!b.bad()) b.emit(`if r0 == 0 goto ${end}`);
  b.emit('r9 = r0');
  // protocol (12) only a full socket has: bpf_skc_lookup_tcp's may not be one.
  const field = id === SKC_LOOKUP_TCP && !b.bad() ? b.pick([4, 24, 72]) : b.pick([4, 12, 24, 72]);
  b.emit(`r1 = *(u32 *)(r9 + ${field})`);
  if (b.ctx.type === 'SCHED_CLS' && b.chance(2)) {
    b.emit('r1 = r9', `call ${SK_FULLSOCK}`, `if r0 == 0 goto ${rel}`, 'r1 = *(u32 *)(r0 + 12)');
  }
  releaseSocket(b, rel, end);
}

/**
 * A socket map looked up: an XSKMAP's xdp_sock read at queue_id (or, as a wrong choice, written,
 * moved, or read past it), or a SOCKMAP/SOCKHASH's socket read and released on both paths (or
 * leaked, or read after release). With or without the null check.
 */
function socketMap(b: Builder): void {
  const end = b.label('end');
  const xsk = b.chance(2);
  const name = b.useMap(xsk ? XSKMAP : b.pick(SOCK_MAPS));
  b.emit(b.ctxScalar('r1'), 'r1 &= 3', '*(u32 *)(r10 - 4) = r1');
  b.emit('r2 = r10', 'r2 += -4', `r1 = map(${name}) ll`, `call ${LOOKUP}`);
  if (!b.bad()) b.emit(`if r0 == 0 goto ${end}`);
  if (xsk) {
    const use = b.bad() ? b.pick(['write', 'past', 'wide', 'move']) : 'read';
    if (use === 'write') b.emit('r1 = 1', '*(u32 *)(r0 + 0) = r1');
    else if (use === 'past') b.emit('r1 = *(u32 *)(r0 + 4)');
    else if (use === 'wide') b.emit('r1 = *(u64 *)(r0 + 0)');
    else if (use === 'move') b.emit('r0 += 4', 'r1 = *(u32 *)(r0 + 0)');
    else b.emit('r1 = *(u32 *)(r0 + 0)');
    b.emit(`${end}:`);
    return;
  }
  const rel = b.label('rel');
  b.emit('r9 = r0', `r1 = *(u32 *)(r9 + ${b.pick([0, 4, 24])})`);
  releaseSocket(b, rel, end);
}

const BLOCKS = {
  parse,
  packetRead,
  pathBranch,
  variablePacket,
  lookup,
  spillFill,
  loop,
  bpfLoop,
  subCall,
  ringbuf,
  socketRef,
  socketMap,
} as const;
export type BlockName = keyof typeof BLOCKS;
const BLOCK_NAMES = Object.keys(BLOCKS) as BlockName[];

/** Slots per line (an `ll` or ld_pseudo line takes two), labels and blank lines none. */
function slotsOf(line: string): number {
  const code = line.replace(/(;|\/\/|#).*$/, '').trim();
  if (code === '' || code.endsWith(':')) return 0;
  return /\bll$/.test(code) || /^ld_pseudo\b/.test(code) ? 2 : 1;
}

/** Resolves `ld_pseudo rN, 4, @label` to the label's slot relative to the next one (BPF_PSEUDO_FUNC). */
function resolveFuncRefs(lines: readonly string[]): string[] {
  const at = new Map<string, number>();
  let slot = 0;
  for (const l of lines) {
    const m = /^(\w+):$/.exec(l.trim());
    if (m !== null) at.set(m[1]!, slot);
    slot += slotsOf(l);
  }
  slot = 0;
  return lines.map((l) => {
    const m = /^ld_pseudo (r\d), 4, @(\w+)$/.exec(l);
    const here = slot;
    slot += slotsOf(l);
    if (m === null) return l;
    const target = at.get(m[2]!);
    if (target === undefined) throw new Error(`no label ${m[2]}`);
    return `ld_pseudo ${m[1]}, 4, ${target - here - 1}`;
  });
}

/** The blocks that need sockets the runtime does not model (host sockets, SOCKMAP/SOCKHASH). */
const SOCKET_BLOCKS: readonly BlockName[] = ['socketRef', 'socketMap'];

/** `sockets: false` leaves the socket blocks out (the programs are then those of the generator before them). */
export function generateMixed(seed: number, options: { readonly sockets?: boolean } = {}): MixedProgram {
  const names =
    options.sockets === false ? BLOCK_NAMES.filter((n) => !SOCKET_BLOCKS.includes(n)) : BLOCK_NAMES;
  const next = rng(seed);
  const ctx = next() % 4 === 0 ? TC : XDP;
  const b = new Builder(next, ctx, next() % 2 === 0);
  b.emit('r6 = r1', `r7 = *(u32 *)(r6 + ${ctx.data})`, `r8 = *(u32 *)(r6 + ${ctx.dataEnd})`);
  const count = b.int(2, 6);
  for (let k = 0; k < count; k++) {
    const name = b.pick(names);
    b.blocks.push(name);
    BLOCKS[name](b);
  }
  b.emit(`r0 = ${ctx.ret}`, 'exit');
  if (b.usesOut) b.emit('out:', 'r0 = 1', 'exit');
  const all = resolveFuncRefs([...b.lines, ...b.subs.flat()]);
  const text = all.join('\n');
  const { instructions } = assembleCase(text);
  // Subprogram starts for func_info: the main program at 0, each subprogram's label.
  const starts = [0];
  const globals = new Map<number, GlobalParamText[]>();
  let slot = 0;
  for (const l of all) {
    const params = /^fn\d+:$/.test(l) ? b.globals.get(l.slice(0, -1)) : undefined;
    if (params !== undefined) globals.set(starts.length, params);
    if (/^fn\d+:$/.test(l)) starts.push(slot);
    slot += slotsOf(l);
  }
  const program = asmProgram('mixed', ctx.type, instructions);
  const hasSubs = starts.length > 1;
  const info = hasSubs ? funcBtf(starts, globals, ctx.type === 'XDP' ? 'xdp_md' : '__sk_buff') : undefined;
  return {
    seed,
    clean: b.clean,
    blocks: b.blocks,
    text,
    spec: {
      programs: [info === undefined ? program : { ...program, funcInfo: info.funcInfo }],
      maps: [...b.maps.values()],
      variables: [],
      license: 'GPL',
      ...(info === undefined ? {} : { btf: info.btf }),
    },
  };
}
