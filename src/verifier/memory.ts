// Memory accesses (the kernel's check_mem_access): which register types may be dereferenced and
// where — context fields per program type, packet bytes proven below data_end, map values and
// ring-buffer records within their size, stack bytes within the 512-byte frame — and what a load
// yields. Messages are the kernel's (kernel/bpf/verifier.c).

import { NotSupportedError } from '../errors.js';
import { type SockKind, sockLoadAllowed } from '../uapi/bpf-sock.js';
import { ctxAccessProblem, SkBuff, XdpMd } from '../uapi/context.js';
import { BPF_F_RDONLY_PROG } from '../uapi/map-flags.js';
import { destroyDynptrsIn } from './dynptr.js';
import { type Env, nextId } from './env.js';
import { typeName } from './format.js';
import { constOf, formatScalar, loaded, type Scalar, scalarConst, smax, smin, umax } from './num.js';
import { Refusal, refuse } from './refuse.js';
import { formatTnum } from './scalar/tnum.js';
import { byteAt, helperWriteNeedsBarrier, setByte, slotIndex, stackRead, stackWrite } from './stack-slots.js';
import {
  Byte,
  type Frame,
  isPointer,
  maybeNull,
  pointer,
  type Reg,
  STACK_SIZE,
  type State,
  scalarReg,
  UNKNOWN,
  writableStack,
} from './state.js';

/** Offsets larger than this are never in bounds (the kernel's BPF_MAX_VAR_OFF). */
export const MAX_VAR_OFF = 1n << 29n;

export interface Access {
  readonly regno: number;
  /** The instruction's offset. */
  readonly off: number;
  readonly size: number;
  readonly write: boolean;
  /** For a store: the value written (a register, or an immediate as a known scalar). */
  readonly value?: Reg | undefined;
  /** The value came from an immediate (BPF_ST), not a register. */
  readonly imm?: boolean;
  /** The register a stored value came from (-1: none, an immediate). */
  readonly valueRegno?: number;
  readonly signed?: boolean;
  readonly atomic?: boolean;
}

/**
 * An Access with every field set: the walk makes one per load and store, and checkAccess and
 * the functions it calls then read a single object shape (literals with different optional
 * fields would make them polymorphic).
 */
export function access(
  regno: number,
  off: number,
  size: number,
  write: boolean,
  value: Reg | undefined,
  imm: boolean,
  signed: boolean,
  atomic: boolean,
  valueRegno = -1,
): Access {
  return { regno, off, size, write, value, imm, valueRegno, signed, atomic };
}

/** Checks one access through `reg`; returns what a load yields (UNKNOWN for stores). */
export function checkAccess(env: Env, st: State, reg: Reg, a: Access): Reg {
  switch (reg.type) {
    case 'ctx':
      return ctxAccess(env, reg, a);
    case 'pkt':
    case 'pkt_meta':
      return packetAccess(env, reg, a);
    case 'map_value':
      leakCheck(env, a, 'map');
      return mapValueAccess(reg, a);
    case 'map_key': {
      // A callback's key (bpf_for_each_map_elem): read-only, key_size bytes.
      const ks = reg.map!.spec.keySize;
      if (a.write) refuse('memory-type', `write to change key R${a.regno} not allowed`);
      regionAccess(reg, a, ks, 'key');
      return scalarReg(loaded(a.size as 1 | 2 | 4 | 8, a.signed ?? false));
    }
    case 'mem':
    case 'rdonly_mem':
      // A dynptr slice: memSize bytes (bpf_dynptr_data, bpf_dynptr_slice*).
      if (a.write && reg.type === 'rdonly_mem')
        refuse('memory-type', `R${a.regno} cannot write into rdonly_mem`, {
          reg: a.regno,
          hint: 'bpf_dynptr_slice gives read-only memory: use bpf_dynptr_slice_rdwr to write',
        });
      leakCheck(env, a, 'mem');
      memAccess(reg, a, reg.memSize);
      return a.write ? UNKNOWN : scalarReg(loaded(a.size as 1 | 2 | 4 | 8, a.signed ?? false));
    case 'ringbuf_mem':
      leakCheck(env, a, 'mem');
      memAccess(reg, a, reg.memSize);
      return a.write ? UNKNOWN : scalarReg(loaded(a.size as 1 | 2 | 4 | 8, a.signed ?? false));
    case 'fp':
      return stackAccess(env, st, reg, a);
    case 'sock_common':
    case 'sock':
    case 'tcp_sock':
    case 'xdp_sock':
      return sockAccess(reg, a);
    case 'ptr_nf_conn':
      // The kernel reads (and writes mark of) struct nf_conn through vmlinux BTF; the VM's
      // conntrack entries are opaque handles with no fields.
      throw new NotSupportedError('access to struct nf_conn fields');
    case 'map_ptr':
      // Privileged kernels let programs read struct bpf_map through its BTF (map->max_entries).
      if (env.privileged && !a.write)
        throw new NotSupportedError('reading struct bpf_map fields in the verifier');
      return refuse('memory-type', `R${a.regno} invalid mem access 'map_ptr'`, { reg: a.regno });
    case 'not_init':
      return refuse('register-initialised', `R${a.regno} !read_ok`, { reg: a.regno });
    case 'scalar':
    case 'pkt_end':
    case 'map_ptr_or_null':
    case 'sock_common_or_null':
    case 'sock_or_null':
    case 'tcp_sock_or_null':
    case 'xdp_sock_or_null':
    case 'map_value_or_null':
    case 'ringbuf_mem_or_null':
    case 'ptr_or_null_nf_conn':
    case 'mem_or_null':
    case 'rdonly_mem_or_null':
    case 'func':
      return refuse(
        reg.type.endsWith('_or_null') ? 'null-check' : 'memory-type',
        `R${a.regno} invalid mem access '${typeName(reg.type)}'`,
        { reg: a.regno, hint: invalidMemHint(reg) },
      );
  }
}

function invalidMemHint(reg: Reg): string {
  if (reg.type === 'map_value_or_null')
    return 'the lookup may return NULL: test the pointer (if (!value) return ...;) before using it';
  if (reg.type === 'ringbuf_mem_or_null')
    return 'bpf_ringbuf_reserve may return NULL: test the record before writing to it';
  if (reg.type === 'mem_or_null' || reg.type === 'rdonly_mem_or_null')
    return 'a dynptr slice may be NULL: test it (if (!p) return ...;) before using it';
  if (reg.type === 'pkt_end')
    return 'data_end marks the end of the packet: read through data, after a bounds check';
  if (reg.type === 'scalar')
    return 'this register holds a number, not a pointer the verifier can prove valid';
  if (maybeNull(reg.type))
    return 'this pointer may be NULL (a lookup that found nothing): test it before using it';
  return `a ${reg.type} pointer cannot be dereferenced`;
}

/** Storing a pointer where a number belongs: refused for unprivileged loads only (is_pointer_value). */
function leakCheck(env: Env, a: Access, into: string): void {
  if (!env.privileged && a.write && a.value !== undefined && isPointer(a.value) && !a.imm)
    refuse('memory-type', `R${a.valueRegno} leaks addr into ${into}`, { reg: a.valueRegno ?? -1 });
}

function ctxAccess(env: Env, reg: Reg, a: Access): Reg {
  if (a.atomic) refuse('context-access', `BPF_ATOMIC stores into R${a.regno} ctx is not allowed`);
  // A pointer stored is refused before the field is looked at (check_mem_access's order).
  leakCheck(env, a, 'ctx');
  if (constOf(reg.value) !== 0n)
    refuse(
      'context-access',
      `variable ctx access var_off=${formatScalar(reg.value)} off=${a.off + reg.off} size=${a.size}`,
    );
  if (reg.off !== 0)
    refuse('context-access', `dereference of modified ctx ptr R${a.regno} off=${reg.off} disallowed`, {
      hint: 'read context fields at their fixed offsets from the context pointer itself',
    });
  const off = a.off;
  const why = ctxAccessProblem(env.type, off, a.size, a.write, env.attachType, env.privileged);
  if (why !== undefined)
    refuse('context-access', `invalid bpf_context access off=${off} size=${a.size}`, {
      hint: `${env.type} context: ${why}`,
    });
  if (a.write) return UNKNOWN;
  const packetField = (data: number, end: number, meta: number): Reg | undefined => {
    if (off === data) return pointer('pkt');
    if (off === end) return pointer('pkt_end');
    if (off === meta) return pointer('pkt_meta');
    return undefined;
  };
  const p =
    env.ctx === 'xdp_md'
      ? packetField(XdpMd.data!, XdpMd.data_end!, XdpMd.data_meta!)
      : packetField(SkBuff.data!, SkBuff.data_end!, SkBuff.data_meta!);
  if (p !== undefined) return p;
  if (env.ctx === '__sk_buff' && off === SkBuff.sk)
    return pointer('sock_common_or_null', { id: nextId(env) });
  return scalarReg(loaded(a.size as 1 | 2 | 4 | 8, a.signed ?? false));
}

/**
 * A load from a socket (check_mem_access, check_sock_access): read-only, at the offsets and sizes
 * uapi/bpf-sock.ts allows for the pointer's kind; the loaded value is unknown. The pointer has no
 * offset of its own (arithmetic on it is refused), so the instruction's offset is the field's.
 */
function sockAccess(reg: Reg, a: Access): Reg {
  const t = typeName(reg.type);
  if (a.atomic) refuse('memory-type', `BPF_ATOMIC stores into R${a.regno} ${t} is not allowed`);
  if (a.write)
    refuse('memory-type', `R${a.regno} cannot write into ${t}`, {
      reg: a.regno,
      hint: 'programs read sockets, never write them',
    });
  if (!sockLoadAllowed(reg.type as SockKind, a.off, a.size))
    refuse('context-access', `R${a.regno} invalid ${t} access off=${a.off} size=${a.size}`, {
      reg: a.regno,
      hint: sockHint(reg.type as SockKind),
    });
  return scalarReg(loaded(a.size as 1 | 2 | 4 | 8, a.signed ?? false));
}

function sockHint(kind: SockKind): string {
  if (kind === 'xdp_sock') return 'struct bpf_xdp_sock: queue_id only, as a whole u32 at offset 0';
  if (kind === 'tcp_sock')
    return 'struct bpf_tcp_sock: whole fields (u32, or u64 for bytes_received and bytes_acked)';
  const common =
    kind === 'sock_common'
      ? 'skb->sk may be a request or time-wait socket: call bpf_sk_fullsock() for type, protocol, mark and priority; '
      : '';
  return `${common}struct bpf_sock: fields at their own offsets, addresses and dst_port also in part`;
}

function packetAccess(env: Env, reg: Reg, a: Access): Reg {
  if (a.atomic) refuse('memory-type', `BPF_ATOMIC stores into R${a.regno} ${reg.type} is not allowed`);
  if (a.write && env.type === 'SOCKET_FILTER') refuse('memory-type', 'cannot write into packet');
  if (smin(reg.value) < 0n)
    refuse(
      'memory-bounds',
      `R${a.regno} min value is negative, either use unsigned index or do a if (index >=0) check.`,
    );
  if (reg.range < 0)
    refuse('memory-bounds', `R${a.regno} offset is outside of the packet`, {
      reg: a.regno,
      hint: 'on this path a comparison found the pointer at or past data_end: access the packet on the other edge',
    });
  const off = a.off + reg.off;
  if (off < 0 || off + a.size > reg.range) {
    const need = off + a.size;
    refuse(
      'memory-bounds',
      `invalid access to packet, off=${off} size=${a.size}, R${a.regno}(id=${reg.id},off=${off},r=${reg.range})\nR${a.regno} offset is outside of the packet`,
      {
        reg: a.regno,
        hint:
          off < 0
            ? 'the access starts before the packet data'
            : `prove ${need} bytes first: if ((void *)data + ${need} > data_end) return ...;`,
      },
    );
  }
  leakCheck(env, a, 'packet');
  return a.write ? UNKNOWN : scalarReg(loaded(a.size as 1 | 2 | 4 | 8, a.signed ?? false));
}

/** The kinds of region regionAccess checks: a map's key, a map's value, a memory record. */
type Region = 'key' | 'value' | 'mem';

/** The kernel's message for an access at `off` outside a region of `size` bytes. */
function regionMessage(region: Region, size: number, off: number, a: Access): string {
  if (region === 'key') return `invalid access to map key, key_size=${size} off=${off} size=${a.size}`;
  if (region === 'value') return `invalid access to map value, value_size=${size} off=${off} size=${a.size}`;
  return `invalid access to memory, mem_size=${size} off=${off} size=${a.size}`;
}

function regionHint(region: Region, size: number): string {
  if (region === 'key') return `the key is ${size} bytes`;
  if (region === 'value') return `the value is ${size} bytes: keep offset + size within it`;
  return `the record is ${size} bytes: keep offset + size within it`;
}

/**
 * A region of `size` bytes reached with a variable offset: the kernel's check_mem_region_access
 * (smallest and largest offsets both in bounds). Messages are built only for a refusal (this
 * runs for every map value and record access).
 */
function regionAccess(reg: Reg, a: Access, size: number, region: Region): void {
  const off = a.off + reg.off;
  const lo = smin(reg.value);
  if (constOf(reg.value) !== undefined) {
    const at = off + Number(BigInt.asIntN(64, constOf(reg.value)!));
    if (at < 0 || at + a.size > size)
      refuse(
        'memory-bounds',
        `${regionMessage(region, size, at, a)}\nR${a.regno} min value is outside of the allowed memory range`,
        {
          reg: a.regno,
          hint: regionHint(region, size),
        },
      );
    return;
  }
  if (lo < 0n && (lo + BigInt(off) < 0n || lo < -MAX_VAR_OFF))
    refuse(
      'memory-bounds',
      `R${a.regno} min value is negative, either use unsigned index or do a if (index >=0) check.`,
      {
        reg: a.regno,
        hint: 'make the index unsigned, or test index >= 0',
      },
    );
  if (Number(lo) + off < 0 || Number(lo) + off + a.size > size)
    refuse(
      'memory-bounds',
      `${regionMessage(region, size, Number(lo) + off, a)}\nR${a.regno} min value is outside of the allowed memory range`,
      {
        reg: a.regno,
        hint: regionHint(region, size),
      },
    );
  const hi = umax(reg.value);
  if (hi >= MAX_VAR_OFF)
    refuse(
      'memory-bounds',
      `R${a.regno} unbounded memory access, make sure to bounds check any such access`,
      {
        reg: a.regno,
        hint: 'bound the index (if (i >= N) return ...;) before adding it to the pointer',
      },
    );
  if (Number(hi) + off + a.size > size)
    refuse(
      'memory-bounds',
      `${regionMessage(region, size, Number(hi) + off, a)}\nR${a.regno} max value is outside of the allowed memory range`,
      {
        reg: a.regno,
        hint: regionHint(region, size),
      },
    );
}

/**
 * Whether a map value pointer points inside the value (check_map_access of one byte, as
 * sanitize_check_bounds asks after unprivileged pointer arithmetic): the kernel's message when not.
 */
export function mapValueBounds(reg: Reg, regno: number): string | undefined {
  try {
    regionAccess(
      reg,
      access(regno, 0, 1, false, undefined, false, false, false),
      reg.map!.spec.valueSize,
      'value',
    );
    return undefined;
  } catch (e) {
    if (e instanceof Refusal) return e.message;
    throw e;
  }
}

function mapValueAccess(reg: Reg, a: Access): Reg {
  const spec = reg.map!.spec;
  const vs = spec.valueSize;
  if (a.write && (spec.flags & BPF_F_RDONLY_PROG) !== 0)
    refuse(
      'memory-type',
      `write into map forbidden, value_size=${vs} off=${a.off + reg.off} size=${a.size}`,
      {
        hint: 'the map is read-only for programs (BPF_F_RDONLY_PROG, a const global)',
      },
    );
  regionAccess(reg, a, vs, 'value');
  if (a.write) return UNKNOWN;
  return scalarReg(frozenValue(reg, a) ?? loaded(a.size as 1 | 2 | 4 | 8, a.signed ?? false));
}

/** A read-only global's bytes are known at load (the kernel reads frozen maps: bpf_map_direct_read). */
function frozenValue(reg: Reg, a: Access): Scalar | undefined {
  const spec = reg.map!.spec;
  const at = constOf(reg.value);
  if ((spec.flags & BPF_F_RDONLY_PROG) === 0 || spec.contents?.kind !== 'data' || at === undefined)
    return undefined;
  const off = a.off + reg.off + Number(at);
  const bytes = spec.contents.bytes;
  if (off + a.size > bytes.length) return undefined;
  let v = 0n;
  for (let k = a.size - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[off + k]!);
  if (a.signed) v = BigInt.asIntN(a.size * 8, v);
  return scalarConst(v);
}

function memAccess(reg: Reg, a: Access, size: number): void {
  regionAccess(reg, a, size, 'mem');
}

// --- the stack ---

/**
 * Stack accesses are always checked for alignment, before their bounds (check_ptr_alignment with
 * strict, then check_stack_access_within_bounds): every offset the pointer may hold, plus the
 * fixed ones, a multiple of the size.
 */
function stackAligned(reg: Reg, a: Access): void {
  const { value, mask } = reg.value.var;
  // The common case, a stack pointer at a known offset, without bigints (this runs per access).
  if (value === 0n && mask === 0n && ((reg.off + a.off) & (a.size - 1)) === 0) return;
  const low = BigInt(a.size - 1);
  if (((value + BigInt(reg.off + a.off)) & low) === 0n && (mask & low) === 0n) return;
  const tn = mask === 0n ? String(BigInt.asIntN(64, value)) : formatTnum(reg.value.var);
  refuse('stack-bounds', `misaligned stack access off ${tn}+${reg.off}+${a.off} size ${a.size}`, {
    reg: a.regno,
    hint: `align the access: ${a.size}-byte stack accesses need offsets that are multiples of ${a.size}`,
  });
}

function stackBounds(reg: Reg, a: Access): number {
  const dir = a.write ? 'write to' : 'read from';
  const off = a.off + reg.off;
  const v = constOf(reg.value);
  stackAligned(reg, a);
  if (v === undefined) {
    const lo = Number(smin(reg.value)) + off;
    const hi = Number(smax(reg.value)) + off;
    if (
      smin(reg.value) < -MAX_VAR_OFF ||
      smax(reg.value) > MAX_VAR_OFF ||
      lo < -STACK_SIZE ||
      hi + a.size > 0
    )
      refuse(
        'stack-bounds',
        `invalid variable-offset ${a.write ? 'write to' : 'read from'} stack R${a.regno} var_off=${formatScalar(reg.value)} off=${off} size=${a.size}`,
        { reg: a.regno, hint: 'bound the index so that every byte stays within the 512-byte frame' },
      );
    return lo;
  }
  const at = off + Number(BigInt.asIntN(64, v));
  if (at < -STACK_SIZE || at + a.size > 0)
    refuse('stack-bounds', `invalid ${dir} stack R${a.regno} off=${at} size=${a.size}`, {
      reg: a.regno,
      hint:
        at >= 0
          ? 'the frame lies below r10: use negative offsets'
          : 'each frame has 512 bytes of stack: use less (move big buffers to a per-CPU array map)',
    });
  return at;
}

/**
 * Unprivileged, a read reaches only the stack a write has allocated on this path, in whole slots
 * (check_stack_slot_within_bounds without allow_uninit_stack; grow_stack_state rounds up to 8).
 */
function allocatedStack(env: Env, frame: Frame, at: number, regno: number, size: number): void {
  if (!env.privileged && at < -Math.ceil(frame.depth / 8) * 8)
    refuse('stack-bounds', `invalid read from stack R${regno} off=${at} size=${size}`, {
      reg: regno,
      hint: 'nothing was written this deep into the stack yet on this path: initialise it first',
    });
}

function stackAccess(env: Env, st: State, reg: Reg, a: Access): Reg {
  const frame = st.frames[reg.frame]!;
  const at = stackBounds(reg, a);
  const variable = constOf(reg.value) === undefined;
  if (!a.write) allocatedStack(env, frame, at, a.regno, a.size);
  const depth = -at;
  if (depth > frame.depth) frame.depth = depth;
  if (variable) {
    // Every byte the offset may reach: a read needs them initialised, a write makes them misc.
    const span = Number(smax(reg.value) - smin(reg.value)) + a.size;
    if (a.write) {
      destroyDynptrsIn(st, reg.frame, at, at + span);
      const stack = writableStack(frame);
      for (let b = at; b < at + span; b++) setByte(stack, b, Byte.Misc);
      return UNKNOWN;
    }
    for (let b = at; b < at + span; b++)
      if (
        (byteAt(frame.stack, b) === Byte.Invalid && !env.privileged) ||
        byteAt(frame.stack, b) === Byte.Dynptr
      )
        refuse(
          'stack-bounds',
          `invalid read from stack R${a.regno} var_off=${formatScalar(reg.value)}+${a.off + reg.off} size ${a.size}`,
        );
    return scalarReg(loaded(a.size as 1 | 2 | 4 | 8, a.signed ?? false));
  }
  if (a.write) destroyDynptrsIn(st, reg.frame, at, at + a.size);
  return a.write ? stackWrite(env, writableStack(frame), at, a) : stackRead(env, frame.stack, at, a);
}

/** Marks `size` bytes at `at` (from r10 of `frame`) written by a helper, as the kernel does for uninit-mem args. */
export function stackWrittenByHelper(st: State, frame: number, at: number, size: number): void {
  destroyDynptrsIn(st, frame, at, at + size);
  const f = st.frames[frame]!;
  const stack = writableStack(f);
  for (let b = at; b < at + size; b++) setByte(stack, b, Byte.Misc);
  if (-at > f.depth) f.depth = -at;
}

/**
 * The first of `size` bytes at `at` a helper may not read (uninitialised or a spilled pointer's
 * unless `anyInit`, a privileged load; a dynptr's), or undefined when all are readable.
 */
export function stackInitialised(
  st: State,
  frame: number,
  at: number,
  size: number,
  anyInit = false,
): number | undefined {
  const f = st.frames[frame]!;
  for (let b = at; b < at + size; b++) {
    const kind = byteAt(f.stack, b);
    if ((kind === Byte.Invalid && !anyInit) || kind === Byte.Dynptr) return b - at;
    // A spilled pointer: unprivileged, a helper may not read it (an address would leak).
    if (kind === Byte.Spill && !anyInit && isPointer(f.stack[slotIndex(b)]!.spilled!)) return b - at;
  }
  if (-at > f.depth) f.depth = -at;
  return undefined;
}

/**
 * `size` bytes at `reg` that a helper reads (or writes, `write`): the kernel's
 * check_helper_mem_access. Stack bytes read must be initialised (privileged loads may read any);
 * stack bytes written become initialised. Returns whether an unprivileged write there is followed
 * by a barrier (stack-slots.ts helperWriteNeedsBarrier).
 */
export function helperMemAccess(
  env: Env,
  st: State,
  reg: Reg,
  regno: number,
  size: number,
  write: boolean,
): boolean {
  if (size === 0) return false;
  if (reg.type !== 'fp') {
    checkAccess(env, st, reg, access(regno, 0, size, write, undefined, false, false, false));
    return false;
  }
  const lo = Number(smin(reg.value)) + reg.off;
  const hi = Number(smax(reg.value)) + reg.off;
  if (smin(reg.value) < -MAX_VAR_OFF || smax(reg.value) > MAX_VAR_OFF || lo < -STACK_SIZE || hi + size > 0)
    refuse(
      'stack-bounds',
      `invalid ${write ? 'write to' : 'read from'} stack R${regno} off=${lo} size=${size}`,
      {
        reg: regno,
        hint: 'the buffer passed to the helper must lie within the 512-byte frame',
      },
    );
  if (constOf(reg.value) === undefined && !env.privileged)
    refuse('stack-bounds', `R${regno} variable offset stack access prohibited for !root`);
  const span = hi - lo + size;
  if (write) {
    const barrier = !env.privileged && helperWriteNeedsBarrier(st.frames[reg.frame]!.stack, lo, span);
    stackWrittenByHelper(st, reg.frame, lo, span);
    return barrier;
  }
  const f = st.frames[reg.frame]!;
  allocatedStack(env, f, lo, regno, size);
  if (-lo > f.depth) f.depth = -lo;
  const bad = stackInitialised(st, reg.frame, lo, span, env.privileged);
  if (bad !== undefined)
    refuse('stack-bounds', `invalid read from stack R${regno} off ${lo}+${bad} size ${size}`, {
      reg: regno,
      hint: 'initialise the buffer before passing it to the helper (memset, or = {} in C)',
    });
  return false;
}
