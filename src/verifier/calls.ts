// Calls and exits: helper calls checked against their prototypes (uapi/helper-protos.ts: argument
// kinds, the constant map, key and value sizes, memory + size pairs, references acquired and
// released, r0 by return kind, r1-r5 clobbered — the kernel's check_helper_call), bpf-to-bpf
// calls and callbacks (a new frame, at most 8: check_func_call), and exits (a frame returns to
// its caller; the program's exit checks r0 and that every reference was released).

import { NotSupportedError } from '../errors.js';
import type { Instruction, Kind } from '../isa/index.js';
import { HELPER_PROTOS, type HelperProto } from '../uapi/helper-protos.js';
import { BPF_FUNC_MAX_ID, helperName } from '../uapi/helpers.js';
import type { MapTypeName } from '../uapi/map-types.js';
import { readReg } from './alu.js';
import { dynptrArg, releaseDynptr, sliceReg } from './dynptr.js';
import { acquireReference, type Env, nextId } from './env.js';
import { typeName } from './format.js';
import { helperMemAccess, MAX_VAR_OFF } from './memory.js';
import { constOf, smax, smin, umax, umin } from './num.js';
import { noteAccess } from './proofs.js';
import { refuse } from './refuse.js';
import { constantKey } from './stack-slots.js';
import {
  copyState,
  current,
  type DynptrSlot,
  isPacket,
  isPointer,
  MAX_CALL_FRAMES,
  mapRegs,
  NOT_INIT,
  newFrame,
  pointer,
  type Reg,
  type RegType,
  type State,
  UNKNOWN,
  withoutRef,
} from './state.js';

/** Helpers that may move or resize the packet: every packet pointer is stale after them (bpf_helper_changes_pkt_data). */
const CHANGES_PACKET = new Set([9, 10, 11, 18, 19, 31, 38, 39, 43, 44, 50, 54, 65]);

const TRACE_PRINTK = 6;
const SPIN_LOCK = 93;
const SPIN_UNLOCK = 94;
const FOR_EACH_MAP_ELEM = 164;
const LOOP = 181;
/**
 * The parameter of a callback that gets its helper's context argument (r3), by helper:
 * bpf_loop(n, cb, ctx, flags) calls cb(index, ctx); bpf_for_each_map_elem(map, cb, ctx, flags)
 * calls cb(map, key, value, ctx).
 */
export const CALLBACK_CTX_PARAM: ReadonlyMap<number, number> = new Map([
  [LOOP, 2],
  [FOR_EACH_MAP_ELEM, 4],
]);
const MAP_LOOKUP_ELEM = 1;

/**
 * A helper call that invokes a callback of the program (is_sync_callback_calling_insn; the ones
 * the verifier walks: bpf_for_each_map_elem, bpf_loop).
 */
export const invokesCallback = (i: Instruction, k: Kind): boolean =>
  k.kind === 'call' && k.target === 'helper' && (i.imm === LOOP || i.imm === FOR_EACH_MAP_ELEM);

/** Map types whose lookup with a known in-range key cannot fail (can_elide_value_nullness, 6.14+). */
export const NEVER_NULL_WITH_KNOWN_KEY: readonly MapTypeName[] = ['ARRAY', 'PERCPU_ARRAY'];
const DYNPTR_FROM_MEM = 197;

/**
 * bpf_spin_lock / bpf_spin_unlock: a map value pointer with a constant offset, one lock at a
 * time, released on every path (process_spin_lock). The lock's offset is not matched against
 * the value's BTF (the kernel does; see docs/architecture.md).
 */
function spinLock(st: State, r: Reg, regno: number, id: number): void {
  if (r.type !== 'map_value')
    refuse('helper-arguments', `R${regno} type=${typeName(r.type)} expected=map_value`);
  if (constOf(r.value) === undefined)
    refuse(
      'helper-arguments',
      `R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`,
    );
  if (r.map!.spec.btfValueType === undefined)
    refuse('helper-arguments', `map '${r.map!.name}' has to have BTF in order to use bpf_spin_lock`);
  if (id === SPIN_LOCK) {
    if (st.locked) refuse('reference-release', 'Locking two bpf_spin_locks are not allowed');
    st.locked = true;
  } else {
    if (!st.locked) refuse('reference-release', 'bpf_spin_unlock without taking a lock');
    st.locked = false;
  }
}

/** Map types a helper requires (check_map_func_compatibility), for those that need one kind. */
const MAP_TYPES: ReadonlyMap<number, readonly MapTypeName[]> = new Map<number, readonly MapTypeName[]>([
  [12, ['PROG_ARRAY']],
  [51, ['DEVMAP', 'DEVMAP_HASH', 'CPUMAP', 'XSKMAP']],
  [130, ['RINGBUF']],
  [131, ['RINGBUF']],
  [134, ['RINGBUF']],
  [198, ['RINGBUF']],
]);
/** Map types no generic helper may touch (ring buffers, program arrays). */
const SPECIAL_MAPS: readonly MapTypeName[] = ['RINGBUF', 'USER_RINGBUF', 'PROG_ARRAY'];

/** The reference a release helper's argument holds (a ring-buffer record, a looked-up socket). */
function heldReference(st: State, r: Reg, regno: number): number {
  if (r.ref === 0 || !st.refs.some((x) => x.id === r.ref))
    refuse('reference-release', `R${regno} must be referenced when passed to release function`, {
      reg: regno,
      hint: 'release only what this path acquired (bpf_ringbuf_reserve, a socket lookup); skb->sk and its casts are no references',
    });
  return r.ref;
}

/** The register type of each socket return kind. */
const SOCKET_RETURNS = {
  'sock-or-null': 'sock_or_null',
  'sock-common-or-null': 'sock_common_or_null',
  'tcp-sock-or-null': 'tcp_sock_or_null',
} as const satisfies Record<string, RegType>;

/** The socket pointers ARG_PTR_TO_SOCK_COMMON takes (never one that may be NULL). */
const SOCKETS: ReadonlySet<RegType> = new Set<RegType>(['sock_common', 'sock', 'tcp_sock', 'xdp_sock']);

const MEM_TYPES = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';

/** Packet pointers reach only helpers whose prototype allows it (may_access_direct_pkt_data). */
function packetAllowed(proto: HelperProto, r: Reg): void {
  if (isPacket(r.type) && proto.pktAccess !== true)
    refuse('helper-arguments', 'helper access to the packet is not allowed', {
      hint: 'copy the bytes to the stack first (or use bpf_xdp_load_bytes / bpf_skb_load_bytes)',
    });
}

/** Where the walk continues after a call: the next slot, or a new frame's entry. */
export interface CallOutcome {
  readonly next: number;
  /** A callback invocation to walk later: its first slot and its entry state. */
  readonly callback?: { readonly pc: number; readonly state: State };
}

export function helperCall(env: Env, st: State, i: Instruction, pc: number): CallOutcome {
  const id = i.imm;
  if (id <= 0 || id >= BPF_FUNC_MAX_ID) refuse('helper-arguments', `invalid func unknown#${id}`);
  const name = helperName(id);
  const proto = HELPER_PROTOS.get(id);
  if (proto === undefined) throw new NotSupportedError(`helper ${name} (#${id}) in the verifier`);
  if (st.locked && id !== SPIN_UNLOCK)
    refuse('helper-arguments', 'function calls are not allowed while holding a lock', {
      hint: 'call helpers before bpf_spin_lock or after bpf_spin_unlock',
    });
  if (
    (proto.progTypes !== undefined && !proto.progTypes.includes(env.type)) ||
    (proto.privileged === true && !env.privileged)
  )
    refuse('helper-arguments', `program of this type cannot use helper ${name}#${id}`);
  const f = current(st);
  let dynptr: DynptrSlot | undefined;
  let releasedDynptr: DynptrSlot | undefined;
  let allocSize = 0;
  let mapArg: Reg | undefined;
  let callback: Reg | undefined;
  let callbackCtx: Reg | undefined;
  let released = 0;
  let knownKey: bigint | undefined;
  // bpf_trace_printk's r3-r5 are ARG_DONTCARE in the kernel: not even read.
  const args = id === TRACE_PRINTK ? proto.args.slice(0, 2) : proto.args;
  for (let k = 0; k < args.length; k++) {
    const regno = k + 1;
    const kind = args[k]!;
    const r = readReg(f, regno);
    // A memory argument: its slot's proof (proofs.ts) covers every one of them, then its bounds.
    const memory = (size: number, write: boolean) => {
      noteAccess(env.proofs, pc, r, write);
      // Unprivileged, writing over stack bytes that held no number is fenced (Spectre v4).
      if (helperMemAccess(env, st, r, regno, size, write)) env.nospecResult.add(pc);
    };
    const expect = (ok: boolean, expected: string) => {
      if (!ok)
        refuse('helper-arguments', `R${regno} type=${typeName(r.type)} expected=${expected}`, {
          reg: regno,
          hint: `argument ${regno} of ${name} must be a ${expected} pointer`,
        });
    };
    if (typeof kind === 'object') {
      // ARG_PTR_TO_FIXED_SIZE_MEM: the prototype says how many bytes.
      expect(isMemory(r) || (r.type === 'rdonly_mem' && kind.write !== true), MEM_TYPES);
      packetAllowed(proto, r);
      // MEM_ALIGNED: a stack pointer must be aligned to the size (check_ptr_alignment, strict).
      if (kind.aligned && r.type === 'fp' && constOf(r.value) === 0n && r.off % kind.fixed !== 0)
        refuse('stack-bounds', `misaligned stack access off 0+${r.off}+0 size ${kind.fixed}`, { reg: regno });
      memory(kind.fixed, kind.write === true);
      continue;
    }
    switch (kind) {
      case 'ctx':
        expect(r.type === 'ctx', 'ctx');
        if (r.off !== 0)
          refuse('helper-arguments', `dereference of modified ctx ptr R${regno} off=${r.off} disallowed`);
        break;
      case 'map': {
        expect(r.type === 'map_ptr', 'map_ptr');
        mapArg = r;
        const t = r.map!.spec.type;
        const need = MAP_TYPES.get(id);
        if ((need !== undefined && !need.includes(t)) || (need === undefined && SPECIAL_MAPS.includes(t)))
          refuse('helper-arguments', `cannot pass map_type ${t} into func ${name}#${id}`);
        break;
      }
      case 'key':
      case 'value':
      case 'uninit-value': {
        expect(isMemory(r), MEM_TYPES);
        packetAllowed(proto, r);
        if (mapArg === undefined)
          throw new NotSupportedError(`helper ${name}: a ${kind} argument without a map`);
        const spec = mapArg.map!.spec;
        memory(kind === 'key' ? spec.keySize : spec.valueSize, kind === 'uninit-value');
        if (kind === 'key' && NEVER_NULL_WITH_KNOWN_KEY.includes(spec.type))
          knownKey = constantKey(env, st, r, spec.keySize);
        break;
      }
      case 'mem':
      case 'mem-or-null':
      case 'uninit-mem': {
        const size = readReg(f, regno + 1);
        const orZero = args[k + 1] === 'size-or-zero';
        const zeroSize = size.type === 'scalar' && umax(size.value) === 0n;
        // NULL only where the prototype says PTR_MAYBE_NULL, and then only for no bytes.
        if (kind === 'mem-or-null' && zeroSize && r.type === 'scalar' && constOf(r.value) === 0n) {
          sizeArg(size, regno + 1, orZero);
          k++;
          break;
        }
        // Read-only memory (a bpf_dynptr_slice) only where the helper just reads (MEM_RDONLY).
        expect(isMemory(r) || (r.type === 'rdonly_mem' && kind !== 'uninit-mem'), MEM_TYPES);
        packetAllowed(proto, r);
        memory(sizeArg(size, regno + 1, orZero), kind === 'uninit-mem');
        k++; // the length was checked with its memory
        break;
      }
      case 'size':
      case 'size-or-zero':
        sizeArg(r, regno, kind === 'size-or-zero');
        break;
      case 'func':
        expect(r.type === 'func', 'func');
        callback = r;
        break;
      case 'stack-or-null':
        expect(r.type === 'fp' || (r.type === 'scalar' && constOf(r.value) === 0n), 'fp');
        callbackCtx = r;
        break;
      case 'ringbuf-mem':
        expect(r.type === 'ringbuf_mem', 'ringbuf_mem');
        if (r.off !== 0 || constOf(r.value) !== 0n)
          refuse('helper-arguments', `R${regno} must have zero offset when passed to release func`);
        released = heldReference(st, r, regno);
        break;
      case 'spin-lock':
        spinLock(st, r, regno, id);
        break;
      case 'alloc-size-or-zero': {
        const v = r.type === 'scalar' ? constOf(r.value) : undefined;
        if (v === undefined) refuse('helper-arguments', `R${regno} is not a known constant`, { reg: regno });
        allocSize = Number(v);
        break;
      }
      case 'dynptr':
        dynptr = dynptrArg(env, st, r, regno, {}, pc);
        break;
      case 'uninit-dynptr-local':
      case 'uninit-dynptr-ringbuf':
        dynptrArg(env, st, r, regno, { init: kind === 'uninit-dynptr-local' ? 'local' : 'ringbuf' }, pc);
        break;
      case 'release-dynptr-ringbuf':
        releasedDynptr = dynptrArg(env, st, r, regno, { release: true }, pc);
        if (releasedDynptr.kind !== 'ringbuf')
          refuse('helper-arguments', `Expected a dynptr of type ringbuf as arg #${regno - 1}`, {
            reg: regno,
          });
        break;
      case 'sock-common':
        expect(SOCKETS.has(r.type), 'sock_common, sock, tcp_sock, xdp_sock');
        // The kernel lets an AF_XDP socket through (its struct xdp_sock starts with a struct
        // sock); the runtime's sockets are skb->sk's only.
        if (r.type === 'xdp_sock')
          throw new NotSupportedError(`an AF_XDP socket (xdp_sock) as the socket of ${name}`);
        break;
      case 'release-sock':
        expect(SOCKETS.has(r.type), 'sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_');
        released = heldReference(st, r, regno);
        break;
      case 'anything':
        // Any initialised register, pointers included, for root; a pointer would leak otherwise.
        if (!env.privileged && isPointer(r))
          refuse('helper-arguments', `R${regno} leaks addr into helper function`, { reg: regno });
        break;
      default:
        assertKind(kind);
    }
  }
  if (id === 12) resourceLeak(st, 'tail_call');
  // 6.18's check_helper_call: a local dynptr's data is a map value, nothing else.
  if (id === DYNPTR_FROM_MEM && f.regs[1]!.type !== 'map_value')
    refuse(
      'helper-arguments',
      `Unsupported reg type ${typeName(f.regs[1]!.type)} for bpf_dynptr_from_mem data`,
      {
        reg: 1,
        hint: 'build local dynptrs over a map value (a per-CPU array entry serves as scratch memory)',
      },
    );
  if (releasedDynptr !== undefined) releaseDynptr(env, st, releasedDynptr);
  if (released !== 0) {
    st.refs = withoutRef(st.refs, released);
    mapRegs(st, (r) => (r.ref === released ? UNKNOWN : r));
  }
  if (CHANGES_PACKET.has(id))
    mapRegs(st, (r) => (isPacket(r.type) || r.type === 'pkt_end' || r.pktSlice ? UNKNOWN : r));
  const r2 = f.regs[2]!;
  // A callback is walked as the kernel does (push_callback_call): its invocation is a path of its
  // own from the call's state before the call clobbers r1-r5, and its exit comes back to the call,
  // which then runs again: another invocation, until one meets a state of the call it repeats
  // (pruned at the call) or, for bpf_loop, the count's largest value of them were walked
  // (check_helper_call: callback_depth < R1's umax_value; a count of 0: none).
  let invocation: CallOutcome['callback'];
  if (callback !== undefined) {
    if (id !== LOOP || BigInt(f.callbackDepth) < umax(f.regs[1]!.value))
      invocation = { pc: callback.target, state: callbackEntry(st, pc, callback, id, callbackCtx, mapArg) };
    f.callbackDepth = 0;
  }
  // A cast (bpf_sk_fullsock, bpf_tcp_sock) holds its argument's reference, if any.
  const castRef = proto.cast === true ? f.regs[1]!.ref : 0;
  for (let k = 1; k <= 5; k++) f.regs[k] = NOT_INIT;
  switch (proto.ret) {
    case 'integer':
      f.regs[0] = UNKNOWN;
      break;
    case 'void':
      f.regs[0] = NOT_INIT;
      break;
    case 'map-value-or-null': {
      const m = mapArg?.map;
      const inner = m?.spec.innerMap;
      // A map-in-map's value is a map (the inner template): lookups return map_ptr_or_null.
      if (inner !== undefined && (m!.spec.type === 'ARRAY_OF_MAPS' || m!.spec.type === 'HASH_OF_MAPS'))
        f.regs[0] = pointer('map_ptr_or_null', { id: nextId(env), map: { name: inner.name, spec: inner } });
      // A socket map's value is a socket: an AF_XDP socket (struct bpf_xdp_sock), or a socket
      // the lookup takes a reference on, released by bpf_sk_release (is_acquire_function).
      else if (m?.spec.type === 'XSKMAP') f.regs[0] = pointer('xdp_sock_or_null', { id: nextId(env) });
      else if (m?.spec.type === 'SOCKMAP' || m?.spec.type === 'SOCKHASH') {
        const ref = acquireReference(env, st, pc);
        f.regs[0] = pointer('sock_or_null', { id: ref, ref });
      } else if (m !== undefined && id === MAP_LOOKUP_ELEM && inRange(knownKey, m.spec.maxEntries))
        // An array element at a known index below max_entries always exists: no NULL to test.
        f.regs[0] = pointer('map_value', { map: m });
      else f.regs[0] = pointer('map_value_or_null', { id: nextId(env), ...(m ? { map: m } : {}) });
      break;
    }
    case 'dynptr-mem-or-null':
      f.regs[0] = sliceReg(env, dynptr!, allocSize, false);
      break;
    case 'sock-or-null':
    case 'sock-common-or-null':
    case 'tcp-sock-or-null': {
      const type = SOCKET_RETURNS[proto.ret];
      if (proto.acquire === true) {
        const ref = acquireReference(env, st, pc);
        f.regs[0] = pointer(type, { id: ref, ref });
      } else f.regs[0] = pointer(type, { id: nextId(env), ref: castRef });
      break;
    }
    case 'ringbuf-mem-or-null': {
      const size = constOf(r2.value);
      if (r2.type !== 'scalar' || size === undefined)
        refuse('helper-arguments', 'R2 is not a known constant');
      const ref = acquireReference(env, st, pc);
      f.regs[0] = pointer('ringbuf_mem_or_null', { id: ref, ref, memSize: Number(size) });
      break;
    }
  }
  return invocation === undefined ? { next: pc + 1 } : { next: pc + 1, callback: invocation };
}

/** The kernel takes the key as a signed 64-bit value (meta.const_map_key >= 0 && < max_entries). */
function inRange(key: bigint | undefined, maxEntries: number): boolean {
  if (key === undefined) return false;
  const k = BigInt.asIntN(64, key);
  return k >= 0n && k < BigInt(maxEntries);
}

function assertKind(k: never): never {
  throw new NotSupportedError(`helper argument kind ${String(k)} in the verifier`);
}

const isMemory = (r: Reg): boolean =>
  r.type === 'mem' ||
  r.type === 'fp' ||
  r.type === 'map_key' ||
  r.type === 'pkt' ||
  r.type === 'pkt_meta' ||
  r.type === 'map_value' ||
  r.type === 'ringbuf_mem';

/** A size argument: a bounded, non-negative scalar, not zero unless allowed (check_mem_size_reg); its largest value. */
export function sizeArg(r: Reg, regno: number, zeroAllowed: boolean): number {
  if (r.type !== 'scalar') refuse('helper-arguments', `R${regno} type=${typeName(r.type)} expected=scalar`);
  if (smin(r.value) < 0n)
    refuse('helper-arguments', `R${regno} min value is negative, either use unsigned or 'var &= const'`, {
      hint: 'make the size unsigned, or mask it',
    });
  if (umax(r.value) >= MAX_VAR_OFF)
    refuse(
      'helper-arguments',
      `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`,
      {
        hint: 'bound the size (if (len > N) return ...;) before the call',
      },
    );
  if (!zeroAllowed && umin(r.value) === 0n)
    refuse('helper-arguments', `R${regno} invalid zero-sized read: u64=[${umin(r.value)},${umax(r.value)}]`, {
      hint: 'prove the length is at least 1 (if (len == 0) return ...;) before the call',
    });
  return Number(umax(r.value));
}

/**
 * A callback invocation (bpf_loop, bpf_for_each_map_elem): a copy of `st` at the call, with a
 * new frame holding the arguments the helper passes; its exit returns to the call (`pc`).
 */
function callbackEntry(
  st: State,
  pc: number,
  fn: Reg,
  id: number,
  ctx: Reg | undefined,
  map: Reg | undefined,
): State {
  if (st.frames.length >= MAX_CALL_FRAMES)
    refuse('call-depth', `the call stack of ${st.frames.length + 1} frames is too deep !`);
  const entry = copyState(st);
  current(entry).callbackDepth += 1;
  entry.unroll += 1;
  const callee = newFrame(fn.target, pc, true, entry.frames.length);
  const ctxArg = ctx ?? UNKNOWN;
  if (id === LOOP) {
    callee.regs[1] = UNKNOWN;
  } else if (id === FOR_EACH_MAP_ELEM && map?.map !== undefined) {
    callee.regs[1] = map;
    callee.regs[2] = pointer('map_key', { map: map.map });
    callee.regs[3] = pointer('map_value', { map: map.map });
  } else {
    throw new NotSupportedError(`callbacks of helper ${helperName(id)} in the verifier`);
  }
  callee.regs[CALLBACK_CTX_PARAM.get(id)!] = ctxArg;
  entry.frames.push(callee);
  return entry;
}

/** A bpf-to-bpf call: the callee gets r1-r5 and its own frame. */
export function localCall(st: State, pc: number, target: number): CallOutcome {
  if (st.frames.length >= MAX_CALL_FRAMES)
    refuse('call-depth', `the call stack of ${st.frames.length + 1} frames is too deep !`, {
      hint: 'at most 8 nested calls: inline some functions (__always_inline)',
    });
  const caller = current(st);
  const callee = newFrame(target, pc + 1, false, st.frames.length);
  for (let k = 1; k <= 5; k++) callee.regs[k] = caller.regs[k]!;
  st.frames.push(callee);
  return { next: target };
}

/**
 * The values the main program may return, where the kernel checks them (check_return_code);
 * undefined where it does not for the types verified here.
 */
export function returnRange(env: Pick<Env, 'type' | 'attachType'>): readonly [bigint, bigint] | undefined {
  if (env.type !== 'CGROUP_SKB') return undefined;
  return env.attachType === 'CGROUP_INET_EGRESS' ? [0n, 3n] : [0n, 1n];
}

/** r0 within [lo, hi] on its signed bounds (retval_range_within), worded as verbose_invalid_scalar. */
function checkRange(r0: Reg, where: string, [min, max]: readonly [bigint, bigint], hint: string): void {
  const lo = smin(r0.value);
  const hi = smax(r0.value);
  if (lo >= min && hi <= max) return;
  const S64_MIN = -(1n << 63n);
  const S64_MAX = (1n << 63n) - 1n;
  const known = `${lo > S64_MIN ? ` smin=${lo}` : ''}${hi < S64_MAX ? ` smax=${hi}` : ''}`;
  refuse(
    'return-value',
    `${where} the register R0 has${known === '' ? ' unknown scalar value' : known} should have been in [${min}, ${max}]`,
    { hint },
  );
}

/**
 * check_resource_leak: where the program leaves (`what`: its exit, a tail call, a legacy packet
 * load, which may end it), no spin lock may be held, no reference (a line per reference, then
 * the verdict) and no RCU read section.
 */
export function resourceLeak(st: State, what: string): void {
  if (st.locked)
    refuse('reference-release', `${what} cannot be used inside bpf_spin_lock-ed region`, {
      hint: 'call bpf_spin_unlock on every path before leaving',
    });
  if (st.refs.length > 0)
    refuse(
      'reference-release',
      `${st.refs.map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`).join('\n')}\n${what} would lead to reference leak`,
      {
        hint: 'every path must release what it acquired (ring-buffer record: submit or discard; socket: bpf_sk_release; conntrack entry: bpf_ct_release)',
      },
    );
  if (st.rcu)
    refuse('reference-release', `${what} cannot be used inside bpf_rcu_read_lock-ed region`, {
      hint: 'call bpf_rcu_read_unlock on every path before leaving',
    });
}

/** `exit`: returns to the caller's frame (its resume slot), or undefined when the program ends. */
export function exitFrame(env: Env, st: State): number | undefined {
  const f = current(st);
  if (st.frames.length === 1) resourceLeak(st, 'BPF_EXIT instruction in main prog');
  const r0 = readReg(f, 0);
  if (st.frames.length === 1) {
    // A global function, verified on its own (globals.ts): its callers take r0 as a scalar.
    if (f.subprogram !== 0 && r0.type !== 'scalar')
      refuse(
        'return-value',
        `At subprogram exit the register R0 is not a scalar value (${typeName(r0.type)})`,
        {
          hint: 'a global function returns an integer; return pointers from static functions',
        },
      );
    if (isPointer(r0) && !env.privileged) refuse('return-value', 'R0 leaks addr as return value');
    const range = f.subprogram === 0 ? returnRange(env) : undefined;
    if (range !== undefined) {
      // check_return_code: cgroup skb programs return a verdict.
      if (r0.type !== 'scalar')
        refuse('return-value', `At program exit the register R0 is not a known value (${typeName(r0.type)})`);
      checkRange(
        r0,
        'At program exit',
        range,
        'a cgroup skb program returns 1 (pass) or 0 (drop); egress may add 2 (congestion)',
      );
    }
    return undefined;
  }
  // Any stack pointer, the callee's or one it was given into a caller's frame: the kernel's
  // prepare_func_exit refuses PTR_TO_STACK in r0 (found by the generated differential, seed 78453).
  if (r0.type === 'fp') refuse('memory-type', 'cannot return stack pointer to the caller');
  if (f.callback) {
    // prepare_func_exit: a scalar within the callback's range [0, 1] (retval_range_within on the
    // signed bounds), worded as verbose_invalid_scalar.
    if (r0.type !== 'scalar') refuse('return-value', 'R0 not a scalar value');
    checkRange(r0, 'At callback return', [0n, 1n], 'a bpf_loop callback returns 0 (continue) or 1 (stop)');
  }
  st.frames.pop();
  const caller = current(st);
  if (!f.callback) {
    caller.regs[0] = r0;
    for (let k = 1; k <= 5; k++) caller.regs[k] = NOT_INIT;
  }
  return f.returnTo;
}
