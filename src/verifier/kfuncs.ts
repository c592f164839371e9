// kfunc calls (BPF_PSEUDO_KFUNC_CALL), checked as the kernel's check_kfunc_call does against the
// prototypes of uapi/kfunc-protos.ts: the kfunc allowed for the program type, each argument by
// its parameter (the context, memory + `__sz` length, a kernel object), references acquired
// (KF_ACQUIRE, maybe NULL with KF_RET_NULL) and released (KF_RELEASE) with the ring buffer's
// reference tracking, the RCU read-side section, r0-r5 clobbered. Messages are Linux 6.18's,
// each asked of the running kernel (test/verifier/kfuncs.vcase).

import { NotSupportedError } from '../errors.js';
import type { Instruction } from '../isa/index.js';
import { KFUNC_PROTOS, type KfuncParam, type KfuncProto } from '../uapi/kfunc-protos.js';
import { sizeArg } from './calls.js';
import { dynptrArg, sliceReg } from './dynptr.js';
import { acquireReference, type Env, nextId } from './env.js';
import { typeName } from './format.js';
import { helperMemAccess } from './memory.js';
import { constOf } from './num.js';
import { Refusal, refuse } from './refuse.js';
import {
  current,
  type DynptrSlot,
  type Frame,
  mapRegs,
  maybeNull,
  NOT_INIT,
  pointer,
  type Reg,
  type RegType,
  type State,
  UNKNOWN,
  withoutRef,
} from './state.js';

/** The register types of a pointer to each kernel object a kfunc returns (PTR_TO_BTF_ID). */
const OBJECT_TYPES: Readonly<Record<string, { readonly ptr: RegType; readonly orNull: RegType }>> = {
  nf_conn: { ptr: 'ptr_nf_conn', orNull: 'ptr_or_null_nf_conn' },
};

/** The kernel object a register points to (PTR_TO_BTF_ID, or CONST_PTR_TO_MAP's struct bpf_map). */
function objectOf(r: Reg): string | undefined {
  if (r.type === 'map_ptr') return 'bpf_map';
  for (const [struct, t] of Object.entries(OBJECT_TYPES))
    if (r.type === t.ptr || r.type === t.orNull) return struct;
  return undefined;
}

const isNull = (r: Reg) => (r.type === 'scalar' && constOf(r.value) === 0n) || maybeNull(r.type);

/** Types check_helper_mem_access reads from (memory, packet, stack, map value, record). */
const isMemory = (r: Reg): boolean =>
  r.type === 'mem' ||
  r.type === 'rdonly_mem' ||
  r.type === 'fp' ||
  r.type === 'pkt' ||
  r.type === 'pkt_meta' ||
  r.type === 'map_value' ||
  r.type === 'map_key' ||
  r.type === 'ringbuf_mem';

export function kfuncCall(env: Env, st: State, i: Instruction, pc: number): { next: number } {
  const name = i.reference;
  if (name === undefined) throw new NotSupportedError(`kfunc call by BTF id ${i.imm} without its name`);
  const proto = KFUNC_PROTOS.get(name);
  if (proto === undefined) throw new NotSupportedError(`kfunc ${name} in the verifier`);
  if (proto.progTypes !== undefined && !proto.progTypes.includes(env.type))
    refuse('helper-arguments', `calling kernel function ${name} is not allowed`, {
      hint: `${name} is registered for ${proto.progTypes.join(' and ')} programs`,
    });
  if (st.locked) refuse('helper-arguments', 'function calls are not allowed while holding a lock');
  const f = current(st);
  const { released, dynptr, sliceSize } = checkArgs(env, st, f, name, proto, pc);
  if (name === 'bpf_rcu_read_lock') {
    if (st.rcu) refuse('reference-release', `nested rcu read lock (kernel function ${name})`);
    st.rcu = true;
  } else if (name === 'bpf_rcu_read_unlock') {
    if (!st.rcu) refuse('reference-release', `unmatched rcu read unlock (kernel function ${name})`);
    st.rcu = false;
  }
  if (released !== 0) {
    st.refs = withoutRef(st.refs, released);
    mapRegs(st, (r) => (r.ref === released ? UNKNOWN : r));
  }
  for (let k = 0; k <= 5; k++) f.regs[k] = NOT_INIT;
  if (proto.ret.kind === 'integer') f.regs[0] = UNKNOWN;
  if (proto.ret.kind === 'slice') {
    // check_kfunc_call asks may_access_direct_pkt_data(BPF_WRITE) of every bpf_dynptr_slice_rdwr.
    if (proto.ret.rdwr && !PACKET_WRITERS.includes(env.type))
      refuse('memory-type', 'the prog does not allow writes to packet data', {
        hint: 'this program type may only read the packet: use bpf_dynptr_slice',
      });
    f.regs[0] = sliceReg(env, dynptr!, sliceSize, !proto.ret.rdwr);
  }
  if (proto.ret.kind === 'object') {
    const t = OBJECT_TYPES[proto.ret.struct];
    if (t === undefined) throw new NotSupportedError(`kfunc ${name} returning struct ${proto.ret.struct}`);
    const ref = proto.acquire ? acquireReference(env, st, pc) : 0;
    f.regs[0] = proto.retNull
      ? pointer(t.orNull, { id: ref === 0 ? nextId(env) : ref, ref })
      : pointer(t.ptr, { ref });
  }
  return { next: pc + 1 };
}

/** Program types that may write packet data (may_access_direct_pkt_data for BPF_WRITE). */
const PACKET_WRITERS: readonly string[] = ['SCHED_CLS', 'SCHED_ACT', 'XDP', 'LWT_XMIT', 'SK_SKB', 'SK_MSG'];

interface ArgsOutcome {
  /** The reference a release kfunc releases (0: none). */
  readonly released: number;
  /** The (last) initialised dynptr argument. */
  readonly dynptr: DynptrSlot | undefined;
  /** The `__szk` constant. */
  readonly sliceSize: number;
}

/** check_kfunc_args: every argument against its parameter. */
function checkArgs(env: Env, st: State, f: Frame, name: string, proto: KfuncProto, pc: number): ArgsOutcome {
  let released = 0;
  let dynptr: DynptrSlot | undefined;
  let sliceSize = 0;
  const params = proto.params;
  for (let k = 0; k < params.length; k++) {
    const param = params[k]!;
    const regno = k + 1;
    const r = f.regs[regno]!;
    if (param.kind === 'size' || param.kind === 'scalar') {
      // A plain integer, or a length no memory argument took.
      if (r.type !== 'scalar') refuse('helper-arguments', `R${regno} is not a scalar`, { reg: regno });
      continue;
    }
    if (param.kind === 'buffer-or-null' || param.kind === 'const-size') {
      // buffer__opt with its buffer__szk: the size a constant, the buffer NULL or that many bytes.
      const size = param.kind === 'const-size' ? r : f.regs[regno + 1]!;
      const sizeRegno = param.kind === 'const-size' ? regno : regno + 1;
      const v = size.type === 'scalar' ? constOf(size.value) : undefined;
      if (v === undefined)
        refuse('helper-arguments', `R${sizeRegno} must be a known constant`, {
          reg: sizeRegno,
          hint: 'the slice size (buffer__szk) must be a compile-time constant: sizeof(buffer)',
        });
      sliceSize = Number(v);
      if (param.kind === 'buffer-or-null') {
        if (!(r.type === 'scalar' && constOf(r.value) === 0n))
          memArg(env, st, f, name, r, regno, k, 'void', false);
        k++;
      }
      continue;
    }
    if (param.kind === 'dynptr' || param.kind === 'uninit-dynptr') {
      if (r.type !== 'fp')
        refuse('helper-arguments', `arg#${k} expected pointer to stack or const struct bpf_dynptr`, {
          reg: regno,
          hint: 'pass the address of a struct bpf_dynptr on the stack (&ptr)',
        });
      if (param.kind === 'dynptr') dynptr = dynptrArg(env, st, r, regno, {}, pc);
      else dynptrArg(env, st, r, regno, { init: param.dynptr }, pc, dynptr);
      continue;
    }
    if (isNull(r))
      refuse('null-check', `Possibly NULL pointer passed to trusted arg${k}`, {
        reg: regno,
        hint: `test the pointer against NULL before passing it to ${name}`,
      });
    switch (param.kind) {
      case 'ctx':
        ctxArg(env, r, regno, k, param);
        break;
      case 'mem':
        memArg(env, st, f, name, r, regno, k, param.struct, true);
        k++; // the `__sz` length is checked with it
        break;
      case 'object': {
        objectArg(name, r, regno, k, param.struct);
        if (proto.release && r.ref !== 0) released = r.ref;
        break;
      }
      default:
        assertParam(param);
    }
  }
  if (proto.release && released === 0)
    refuse('reference-release', `release kernel function ${name} expects refcounted PTR_TO_BTF_ID`);
  return { released, dynptr, sliceSize };
}

function assertParam(p: never): never {
  throw new NotSupportedError(`kfunc parameter ${JSON.stringify(p)} in the verifier`);
}

function ctxArg(
  env: Env,
  r: Reg,
  regno: number,
  k: number,
  param: Extract<KfuncParam, { kind: 'ctx' }>,
): void {
  // Another program type's context is a kernel object here, which no register of this program is.
  if (param.struct !== env.ctx)
    refuse('helper-arguments', `R${regno} must be referenced or trusted`, { reg: regno });
  if (r.type === 'ctx' && r.off !== 0)
    refuse('context-access', `dereference of modified ctx ptr R${regno} off=${r.off} disallowed`, {
      reg: regno,
    });
  if (r.type !== 'ctx')
    refuse('helper-arguments', `arg#${k} expected pointer to ctx, but got ${typeName(r.type)}`, {
      reg: regno,
      hint: 'pass the program context (the first argument of the program)',
    });
}

function memArg(
  env: Env,
  st: State,
  f: Frame,
  name: string,
  r: Reg,
  regno: number,
  k: number,
  struct: string,
  objectCheck: boolean,
): void {
  const size = f.regs[regno + 1]!;
  // Without a scalar length the kernel reads the parameter as a kernel object.
  if (objectCheck && size.type !== 'scalar')
    refuse('helper-arguments', `R${regno} must be referenced or trusted`, { reg: regno });
  const object = objectOf(r);
  if (objectCheck && object !== undefined)
    refuse(
      'helper-arguments',
      `kernel function ${name} args#${k} expected pointer to STRUCT ${struct} but R${regno} has a pointer to STRUCT ${object}`,
      { reg: regno },
    );
  const pair = `arg#${k} arg#${k + 1} memory, len pair leads to invalid memory access`;
  try {
    const bytes = sizeArg(size, regno + 1, true);
    if (r.type === 'not_init')
      refuse('register-initialised', 'variable ? access var_off=(0x0; 0xffffffffffffffff) disallowed', {
        reg: regno,
      });
    if (!isMemory(r) && !(r.type === 'scalar' && bytes === 0))
      refuse('helper-arguments', `R${regno} type=${typeName(r.type)} expected=fp, pkt, pkt_meta, map_value`, {
        reg: regno,
      });
    helperMemAccess(env, st, r, regno, bytes, false);
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    refuse(e.property, `${e.message}\n${pair}`, {
      ...(e.hint === undefined ? {} : { hint: e.hint }),
      reg: e.reg ?? regno,
    });
  }
}

function objectArg(name: string, r: Reg, regno: number, k: number, struct: string): void {
  const object = objectOf(r);
  if (object === undefined)
    refuse(
      'helper-arguments',
      `arg#${k} pointer type STRUCT ${struct} must point to scalar, or struct with scalar`,
      {
        reg: regno,
        hint: `pass the struct ${struct} pointer an earlier kfunc returned (and has not been released)`,
      },
    );
  if (object !== struct)
    refuse(
      'helper-arguments',
      `kernel function ${name} args#${k} expected pointer to STRUCT ${struct} but R${regno} has a pointer to STRUCT ${object}`,
      { reg: regno },
    );
  if (r.off !== 0 || constOf(r.value) !== 0n)
    refuse(
      'helper-arguments',
      `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`,
      {
        reg: regno,
      },
    );
}
