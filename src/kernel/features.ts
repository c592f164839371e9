// Feature probes in the manner of cilium/ebpf's features package: does the running kernel
// know a program type, a map type, a helper for a program type? Each is answered once by
// loading or creating the smallest object of its kind, and cached. The answer is an
// Availability (ok, or the reason it is not), so that tests can skip with it. EPERM for one
// kind while bpf() works otherwise (ARENA maps here) is answered "not available to this
// process", with the errno. A probe that cannot decide (ENOMEM, E2BIG) throws instead of guessing.

import { BpfError, NotSupportedError, TsbpfError, VerifierError } from '../errors.js';
import {
  AttachType,
  type AttachTypeName,
  BPF_F_MMAPABLE,
  BPF_F_NO_PREALLOC,
  BpfCmd,
  Errno,
  helperId,
  helperName,
  MapType,
  type MapTypeName,
  ProgType,
  type ProgTypeName,
} from '../uapi/index.js';
import { PAGE_SIZE } from '../uapi/page.js';
import { Attr } from './attr.js';
import type { Availability } from './available.js';
import { bpfAvailability } from './available.js';
import { loadBtf } from './btf.js';
import { type CreateMapOptions, createMap } from './map.js';
import { type LoadProgramOptions, loadProgram } from './program.js';
import { closeFd } from './syscall.js';

const cache = new Map<string, Availability>();

function cached(key: string, probe: () => Availability): Availability {
  let a = cache.get(key);
  if (a === undefined) {
    const bpf = bpfAvailability();
    a = bpf.ok ? probe() : bpf;
    cache.set(key, a);
  }
  return a;
}

/** r0 = 0; exit. */
const RETURN_0 = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

/** What some program types need to load at all (cilium/ebpf's createProgLoadAttr does the same). */
const PROGRAM_EXTRAS: Partial<Record<ProgTypeName, { attach?: AttachTypeName; flags?: number }>> = {
  CGROUP_SOCK_ADDR: { attach: 'CGROUP_INET4_CONNECT' },
  CGROUP_SOCKOPT: { attach: 'CGROUP_GETSOCKOPT' },
  SK_LOOKUP: { attach: 'SK_LOOKUP' },
  NETFILTER: { attach: 'NETFILTER' },
  SYSCALL: { flags: 1 << 4 }, // BPF_F_SLEEPABLE
};

/** Program types that load only against a BTF id of a kernel function or struct. */
const NEEDS_ATTACH_BTF: ReadonlySet<ProgTypeName> = new Set(['TRACING', 'EXT', 'LSM', 'STRUCT_OPS']);

function programOptions(type: ProgTypeName, insns: Uint8Array): LoadProgramOptions {
  const extra = PROGRAM_EXTRAS[type];
  return {
    type,
    insns,
    ...(extra?.attach === undefined ? {} : { expectedAttachType: extra.attach }),
    ...(extra?.flags === undefined ? {} : { flags: extra.flags }),
  };
}

function checkProgramType(type: ProgTypeName): void {
  if (ProgType[type] === undefined || type === 'UNSPEC')
    throw new TsbpfError('INVALID_ARGUMENT', `unknown program type '${String(type)}'`);
  if (NEEDS_ATTACH_BTF.has(type))
    throw new NotSupportedError(`probing program type ${type}`, 'it needs the BTF id of an attach target');
}

/** Whether the kernel loads programs of `type` (EINVAL means it does not know the type). */
export function haveProgramType(type: ProgTypeName): Availability {
  checkProgramType(type);
  return cached(`prog ${type}`, () => {
    try {
      loadProgram(programOptions(type, RETURN_0)).close();
      return { ok: true };
    } catch (e) {
      if ((e instanceof BpfError && e.errno === Errno.EINVAL) || e instanceof VerifierError)
        return { ok: false, reason: `program type ${type} is not supported by this kernel (${e.message})` };
      if (e instanceof BpfError && e.errno === Errno.EPERM)
        return { ok: false, reason: `program type ${type} is not available to this process (${e.message})` };
      throw e;
    }
  });
}

/** A BTF with one type, [1] int (4 bytes): the key and value of the local-storage probes. */
function intBtf(): Uint8Array {
  const strings = new TextEncoder().encode('\0int\0');
  const types = new Uint8Array(16);
  const t = new DataView(types.buffer);
  t.setUint32(0, 1, true); // name_off: "int"
  t.setUint32(4, 1 << 24, true); // kind INT, vlen 0
  t.setUint32(8, 4, true); // size
  t.setUint32(12, 32, true); // encoding 0, offset 0, 32 bits
  const out = new Uint8Array(24 + types.length + strings.length);
  const h = new DataView(out.buffer);
  h.setUint16(0, 0xeb9f, true);
  h.setUint8(2, 1); // version
  h.setUint32(4, 24, true); // hdr_len
  h.setUint32(8, 0, true); // type_off
  h.setUint32(12, types.length, true);
  h.setUint32(16, types.length, true); // str_off
  h.setUint32(20, strings.length, true);
  out.set(types, 24);
  out.set(strings, 24 + types.length);
  return out;
}

const LOCAL_STORAGE: ReadonlySet<MapTypeName> = new Set([
  'SK_STORAGE',
  'INODE_STORAGE',
  'TASK_STORAGE',
  'CGRP_STORAGE',
]);

/** The smallest valid creation of each map type (cilium/ebpf's createMapTypeAttr does likewise). */
function mapOptions(type: MapTypeName): CreateMapOptions {
  const base = { type, keySize: 4, valueSize: 4, maxEntries: 1 };
  switch (type) {
    case 'RINGBUF':
    case 'USER_RINGBUF':
      return { ...base, keySize: 0, valueSize: 0, maxEntries: PAGE_SIZE };
    case 'LPM_TRIE':
      return { ...base, keySize: 8, flags: BPF_F_NO_PREALLOC };
    case 'STACK_TRACE':
      return { ...base, valueSize: 8 };
    case 'QUEUE':
    case 'STACK':
    case 'BLOOM_FILTER':
      return { ...base, keySize: 0 };
    case 'CGROUP_STORAGE':
    case 'PERCPU_CGROUP_STORAGE':
      return { ...base, keySize: 16, valueSize: 8, maxEntries: 0 };
    case 'ARENA':
      return { ...base, keySize: 0, valueSize: 0, flags: BPF_F_MMAPABLE };
    default:
      return base;
  }
}

/** Whether the kernel creates maps of `type`. */
export function haveMapType(type: MapTypeName): Availability {
  if (MapType[type] === undefined || type === 'UNSPEC')
    throw new TsbpfError('INVALID_ARGUMENT', `unknown map type '${String(type)}'`);
  if (type === 'STRUCT_OPS')
    throw new NotSupportedError(
      'probing map type STRUCT_OPS',
      'it needs the BTF id of a kernel struct_ops type',
    );
  return cached(`map ${type}`, () => {
    const made: { close(): void }[] = [];
    try {
      let options = mapOptions(type);
      if (type === 'ARRAY_OF_MAPS' || type === 'HASH_OF_MAPS') {
        const inner = createMap({ type: 'ARRAY', keySize: 4, valueSize: 4, maxEntries: 1 });
        made.push(inner);
        options = { ...options, innerMapFd: inner.fd };
      } else if (LOCAL_STORAGE.has(type)) {
        const btf = loadBtf(intBtf());
        made.push(btf);
        options = {
          ...options,
          maxEntries: 0,
          flags: BPF_F_NO_PREALLOC,
          btfFd: btf.fd,
          btfKeyTypeId: 1,
          btfValueTypeId: 1,
        };
      }
      made.push(createMap(options));
      return { ok: true };
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.EINVAL)
        return { ok: false, reason: `map type ${type} is not supported by this kernel (${e.message})` };
      if (e instanceof BpfError && e.errno === Errno.EPERM)
        return { ok: false, reason: `map type ${type} is not available to this process (${e.message})` };
      throw e;
    } finally {
      for (const m of made.reverse()) m.close();
    }
  });
}

/**
 * Whether programs of `type` may call `helper` (a name like 'ringbuf_output' or an id). The
 * probe calls it with zero arguments: the verifier then complains either about the call itself
 * ("invalid func", "unknown func", "cannot use helper": not available) or about an argument
 * (it knows the helper: available).
 */
export function haveHelper(type: ProgTypeName, helper: string | number): Availability {
  checkProgramType(type);
  const id = typeof helper === 'number' ? helper : helperId(helper.replace(/^bpf_/, ''));
  if (id === undefined || !Number.isInteger(id) || id <= 0)
    throw new TsbpfError('INVALID_ARGUMENT', `unknown helper '${String(helper)}'`);
  const name = helperName(id);
  return cached(`helper ${type} ${id}`, () => {
    const prog = haveProgramType(type);
    if (!prog.ok) return prog;
    const insns = new Uint8Array(8 * 8);
    const v = new DataView(insns.buffer);
    for (let r = 1; r <= 5; r++) {
      v.setUint8((r - 1) * 8, 0xb7); // mov rN, 0
      v.setUint8((r - 1) * 8 + 1, r);
    }
    v.setUint8(5 * 8, 0x85); // call id
    v.setInt32(5 * 8 + 4, id, true);
    insns.set(RETURN_0, 6 * 8);
    try {
      loadProgram(programOptions(type, insns)).close();
      return { ok: true };
    } catch (e) {
      if (e instanceof VerifierError) {
        if (/invalid func|unknown func|cannot use helper|helper call is not allowed/.test(e.log))
          return { ok: false, reason: `helper ${name} (${id}) is not available to ${type} programs` };
        return { ok: true }; // refused for its (zero) arguments: the helper is there
      }
      throw e;
    }
  });
}

/**
 * Whether the kernel makes XDP links (BPF_LINK_CREATE with attach type BPF_XDP, Linux 5.9+);
 * without them XDP programs attach the legacy way, through netlink. The probe touches no
 * device: it asks for a link from fd -1. A kernel that knows BPF_XDP looks the program fd up
 * and answers EBADF; one that does not (or has no BPF_LINK_CREATE, before 5.7) refuses the
 * attach type first with EINVAL (kernel/bpf/syscall.c link_create).
 */
export function haveXdpLinks(): Availability {
  return cached('link XDP', () => {
    try {
      new Attr().u32(0, -1).u32(8, AttachType.XDP).call(BpfCmd.LINK_CREATE);
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.EBADF) return { ok: true };
      if (e instanceof BpfError && e.errno === Errno.EINVAL)
        return { ok: false, reason: `XDP links are not supported by this kernel (5.9+; ${e.message})` };
      if (e instanceof BpfError && e.errno === Errno.EPERM)
        return { ok: false, reason: `XDP links are not available to this process (${e.message})` };
      throw e;
    }
    throw new TsbpfError(
      'BPF_ERROR',
      'BPF_LINK_CREATE from fd -1 succeeded: cannot tell whether XDP links exist',
    );
  });
}

/**
 * Whether the kernel makes TCX links (BPF_LINK_CREATE with BPF_TCX_INGRESS, Linux 6.6+);
 * without them TC programs attach the legacy way, as cls_bpf filters through netlink. Unlike
 * the XDP probe this needs a real program: kernels since 5.10 look the program fd up before the
 * attach type. The probe names no device (ifindex 0): a kernel with TCX goes on to look the
 * device up and answers ENODEV; one without refuses SCHED_CLS links with EINVAL.
 */
export function haveTcxLinks(): Availability {
  return cached('link TCX', () => {
    const prog = haveProgramType('SCHED_CLS');
    if (!prog.ok) return prog;
    using p = loadProgram(programOptions('SCHED_CLS', RETURN_0));
    try {
      closeFd(new Attr().u32(0, p.fd).u32(4, 0).u32(8, AttachType.TCX_INGRESS).call(BpfCmd.LINK_CREATE));
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.ENODEV) return { ok: true };
      if (e instanceof BpfError && e.errno === Errno.EINVAL)
        return { ok: false, reason: `TCX links are not supported by this kernel (6.6+; ${e.message})` };
      if (e instanceof BpfError && e.errno === Errno.EPERM)
        return { ok: false, reason: `TCX links are not available to this process (${e.message})` };
      throw e;
    }
    throw new TsbpfError(
      'BPF_ERROR',
      'a TCX link on ifindex 0 was made: cannot tell whether TCX links exist',
    );
  });
}
