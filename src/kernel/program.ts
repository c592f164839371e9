// Loading a program into the kernel (BPF_PROG_LOAD) and running it once or many times
// (BPF_PROG_TEST_RUN). The kernel's verifier decides; a rejection becomes VerifierError with the
// kernel's full log. Attaching (links, XDP, TC) is not here.

import { BpfError, TsbpfError, VerifierError } from '../errors.js';
import { encode, type Instruction } from '../isa/index.js';
import { testRunRepeat } from '../runtime/test-run-repeat.js';
import {
  AttachType,
  type AttachTypeName,
  BpfCmd,
  Errno,
  ProgType,
  type ProgTypeName,
} from '../uapi/index.js';
import { Attr, checkObjName, ObjInfo, ProgInfo, ProgLoad, TestRun } from './attr.js';
import { BpfObjectHandle } from './bpf-object.js';
import { addressOf, pinned } from './syscall.js';

export interface LoadProgramOptions {
  readonly type: ProgTypeName;
  readonly insns: readonly Instruction[] | Uint8Array;
  /** License string; helpers marked gpl_only need a GPL-compatible one. Default 'GPL'. */
  readonly license?: string;
  /** Object name shown by bpftool, at most 15 characters of [A-Za-z0-9_.]. */
  readonly name?: string;
  readonly expectedAttachType?: AttachTypeName;
  /**
   * Verifier log level (kernel BPF_LOG_LEVEL1 = 1, BPF_LOG_LEVEL2 = 2, BPF_LOG_STATS = 4).
   * When set, the log is kept in `KernelProgram.log` even on success. Without it, a load is
   * done without a log and retried with level 1 only if the verifier refuses.
   */
  readonly logLevel?: number;
  /** Initial log buffer size in bytes (default 64 KiB); grown on ENOSPC. */
  readonly logSize?: number;
  /** Map fds that BPF_PSEUDO_MAP_IDX(_VALUE) lddw instructions index into (attr fd_array). */
  readonly fdArray?: readonly number[];
  /** prog_flags: BPF_F_SLEEPABLE (16), BPF_F_XDP_HAS_FRAGS (32), ... */
  readonly flags?: number;
  /** kern_version (LINUX_VERSION_CODE); only kprobes of old kernels look at it. */
  readonly kernelVersion?: number;
  /** func_info and line_info against a loaded BTF, so verifier logs show source lines. */
  readonly btf?: ProgramBtfInfo;
}

/** struct bpf_line_info with its strings as offsets into the string section of the loaded BTF. */
export interface KernelLineInfo {
  /** In 8-byte instruction slots. */
  readonly insnOff: number;
  readonly fileNameOff: number;
  readonly lineOff: number;
  readonly line: number;
  readonly column: number;
}

/** What BPF_PROG_LOAD takes about BTF: prog_btf_fd, func_info and line_info. */
export interface ProgramBtfInfo {
  readonly btfFd: number;
  /** struct bpf_func_info: first slot of each function and its BTF FUNC type id. */
  readonly funcInfo: readonly { readonly insnOff: number; readonly typeId: number }[];
  readonly lineInfo: readonly KernelLineInfo[];
}

/** sizeof(struct bpf_func_info) and sizeof(struct bpf_line_info) in uapi <linux/bpf.h>. */
const FUNC_INFO_SIZE = 8;
const LINE_INFO_SIZE = 16;
/** BPF_LINE_INFO_LINE_NUM(line_col) = line_col >> 10; the column is the low 10 bits. */
const LINE_SHIFT = 10;

function funcInfoBytes(info: ProgramBtfInfo['funcInfo']): Uint8Array {
  const out = pinned(info.length * FUNC_INFO_SIZE);
  const v = new DataView(out.buffer);
  info.forEach((f, k) => {
    v.setUint32(k * FUNC_INFO_SIZE, f.insnOff, true);
    v.setUint32(k * FUNC_INFO_SIZE + 4, f.typeId, true);
  });
  return out;
}

function lineInfoBytes(info: readonly KernelLineInfo[]): Uint8Array {
  const out = pinned(info.length * LINE_INFO_SIZE);
  const v = new DataView(out.buffer);
  info.forEach((l, k) => {
    const at = k * LINE_INFO_SIZE;
    v.setUint32(at, l.insnOff, true);
    v.setUint32(at + 4, l.fileNameOff, true);
    v.setUint32(at + 8, l.lineOff, true);
    v.setUint32(at + 12, ((l.line << LINE_SHIFT) | (l.column & 0x3ff)) >>> 0, true);
  });
  return out;
}

export interface TestRunOptions {
  /** Packet bytes (data_in). Packet-taking program types need at least an Ethernet header (14 bytes). */
  readonly data?: Uint8Array;
  /** Context bytes (ctx_in), e.g. an `xdp_md` or `__sk_buff`. */
  readonly ctx?: Uint8Array;
  /** Size of the output packet buffer; default data length + 4096 (room for XDP tail growth). */
  readonly dataSizeOut?: number;
  /** Size of the output context buffer; default the ctx length. */
  readonly ctxSizeOut?: number;
  /** Number of runs; the kernel reports the mean duration. Default 1. */
  readonly repeat?: number;
  /** BPF_F_TEST_RUN_ON_CPU (1), BPF_F_TEST_XDP_LIVE_FRAMES (2). */
  readonly flags?: number;
  readonly cpu?: number;
}

export interface TestRunResult {
  /** The program's return value (r0), truncated to 32 bits by the kernel. */
  readonly retval: number;
  /** The packet after the run (data_out, as long as the kernel reports). */
  readonly data: Uint8Array;
  /** The context after the run, when one was given or asked for. */
  readonly ctx: Uint8Array | undefined;
  /** Mean nanoseconds per run as the kernel measured it. */
  readonly duration: number;
}

const DEFAULT_LOG_SIZE = 64 * 1024;
/** The kernel refuses log_size above UINT_MAX >> 2 (bpf_verifier_log_attr_valid); stop well before. */
const MAX_LOG_SIZE = 256 * 1024 * 1024;

export class KernelProgram extends BpfObjectHandle {
  readonly type: ProgTypeName;
  readonly name: string;
  /** Number of 8-byte instruction slots loaded. */
  readonly insnCount: number;
  /** The verifier log, when a logLevel was asked for; '' otherwise. */
  readonly log: string;
  protected readonly what: string;

  /** @internal use loadProgram(). */
  constructor(fd: number, type: ProgTypeName, name: string, insnCount: number, log: string) {
    super(fd);
    this.type = type;
    this.name = name;
    this.insnCount = insnCount;
    this.log = log;
    this.what = `program${name === '' ? '' : ` '${name}'`}`;
  }

  /** The kernel's id of this program (as bpftool lists it). */
  get id(): number {
    return this.#info().getUint32(ProgInfo.id, true);
  }

  /**
   * The instructions as the verifier left them (bpftool's `dump xlated`): with its rewrites,
   * inserted zero-extensions and patched helper calls. Map fds are replaced by kernel addresses
   * (or hidden, per kernel.kptr_restrict), so the bytes are for reading, not reloading.
   */
  xlated(): Uint8Array {
    const len = this.#info().getUint32(ProgInfo.xlated_prog_len, true);
    const buf = pinned(len);
    this.#info({ lengthAt: ProgInfo.xlated_prog_len, pointerAt: ProgInfo.xlated_prog_insns, buf });
    return buf.slice(0, len);
  }

  /** BPF_OBJ_GET_INFO_BY_FD into a bpf_prog_info, optionally asking for one array to be filled. */
  #info(array?: { lengthAt: number; pointerAt: number; buf: Uint8Array }): DataView {
    const info = pinned(ProgInfo.size);
    const view = new DataView(info.buffer);
    if (array !== undefined) {
      view.setUint32(array.lengthAt, array.buf.length, true);
      view.setBigUint64(array.pointerAt, addressOf(array.buf), true);
    }
    new Attr()
      .u32(ObjInfo.bpf_fd, this.fd)
      .u32(ObjInfo.info_len, ProgInfo.size)
      .ptr(ObjInfo.info, info)
      .call(BpfCmd.OBJ_GET_INFO_BY_FD);
    if (array !== undefined && array.buf.length < 0) throw new Error('unreachable'); // keeps buf live
    return view;
  }

  /** Runs the program through BPF_PROG_TEST_RUN. */
  testRun(options: TestRunOptions = {}): TestRunResult {
    const attr = new Attr().u32(TestRun.prog_fd, this.fd);
    const { data, ctx } = options;
    let dataOut: Uint8Array | undefined;
    if (data !== undefined) {
      attr.ptrCopy(TestRun.data_in, data).u32(TestRun.data_size_in, data.length);
    }
    const dataOutSize = options.dataSizeOut ?? (data === undefined ? 0 : data.length + 4096);
    if (dataOutSize > 0) {
      dataOut = pinned(dataOutSize);
      attr.ptr(TestRun.data_out, dataOut).u32(TestRun.data_size_out, dataOutSize);
    }
    if (ctx !== undefined) attr.ptrCopy(TestRun.ctx_in, ctx).u32(TestRun.ctx_size_in, ctx.length);
    const ctxOutSize = options.ctxSizeOut ?? ctx?.length ?? 0;
    let ctxOut: Uint8Array | undefined;
    if (ctxOutSize > 0) {
      ctxOut = pinned(ctxOutSize);
      attr.ptr(TestRun.ctx_out, ctxOut).u32(TestRun.ctx_size_out, ctxOutSize);
    }
    attr.u32(TestRun.repeat, testRunRepeat(options.repeat));
    attr.u32(TestRun.flags, options.flags ?? 0).u32(TestRun.cpu, options.cpu ?? 0);
    attr.call(BpfCmd.PROG_TEST_RUN);
    const dataLen = Math.min(attr.getU32(TestRun.data_size_out), dataOutSize);
    const ctxLen = Math.min(attr.getU32(TestRun.ctx_size_out), ctxOutSize);
    return {
      retval: attr.getU32(TestRun.retval),
      data: dataOut === undefined ? new Uint8Array(0) : dataOut.slice(0, dataLen),
      ctx: ctxOut === undefined ? undefined : ctxOut.slice(0, ctxLen),
      duration: attr.getU32(TestRun.duration),
    };
  }
}

/** Loads a program; throws VerifierError (with the log) if the kernel's verifier refuses it. */
export function loadProgram(options: LoadProgramOptions): KernelProgram {
  const progType = ProgType[options.type];
  if (progType === undefined) throw invalid(`unknown program type '${String(options.type)}'`);
  const insns = options.insns instanceof Uint8Array ? options.insns : encode(options.insns);
  if (insns.length === 0 || insns.length % 8 !== 0) {
    throw invalid(`program must be a non-empty multiple of 8 bytes, is ${insns.length}`);
  }
  const name = options.name ?? '';
  const nameProblem = checkObjName(name);
  if (nameProblem !== undefined) throw invalid(nameProblem);
  let attachType = 0;
  if (options.expectedAttachType !== undefined) {
    const t = AttachType[options.expectedAttachType];
    if (t === undefined) throw invalid(`unknown attach type '${String(options.expectedAttachType)}'`);
    attachType = t;
  }
  const licenseBytes = new TextEncoder().encode(`${options.license ?? 'GPL'}\0`);
  let fdArray: Uint8Array | undefined;
  if (options.fdArray !== undefined && options.fdArray.length > 0) {
    fdArray = pinned(options.fdArray.length * 4);
    const v = new DataView(fdArray.buffer);
    options.fdArray.forEach((fd, k) => {
      v.setInt32(k * 4, fd, true);
    });
  }

  const attempt = (logLevel: number, logSize: number): { fd: number; log: string } => {
    const attr = new Attr()
      .u32(ProgLoad.prog_type, progType)
      .u32(ProgLoad.insn_cnt, insns.length / 8)
      .ptrCopy(ProgLoad.insns, insns)
      .ptrCopy(ProgLoad.license, licenseBytes)
      .name(ProgLoad.prog_name, name)
      .u32(ProgLoad.expected_attach_type, attachType)
      .u32(ProgLoad.prog_flags, options.flags ?? 0)
      .u32(ProgLoad.kern_version, options.kernelVersion ?? 0);
    if (fdArray !== undefined) attr.ptr(ProgLoad.fd_array, fdArray);
    const btf = options.btf;
    if (btf !== undefined) {
      attr.u32(ProgLoad.prog_btf_fd, btf.btfFd);
      if (btf.funcInfo.length > 0) {
        attr
          .u32(ProgLoad.func_info_rec_size, FUNC_INFO_SIZE)
          .ptr(ProgLoad.func_info, funcInfoBytes(btf.funcInfo))
          .u32(ProgLoad.func_info_cnt, btf.funcInfo.length);
      }
      if (btf.lineInfo.length > 0) {
        attr
          .u32(ProgLoad.line_info_rec_size, LINE_INFO_SIZE)
          .ptr(ProgLoad.line_info, lineInfoBytes(btf.lineInfo))
          .u32(ProgLoad.line_info_cnt, btf.lineInfo.length);
      }
    }
    let logBuf: Uint8Array | undefined;
    if (logLevel > 0) {
      logBuf = pinned(logSize);
      attr.u32(ProgLoad.log_level, logLevel).u32(ProgLoad.log_size, logSize).ptr(ProgLoad.log_buf, logBuf);
    }
    const logText = () => (logBuf === undefined ? '' : cString(logBuf));
    try {
      return { fd: attr.call(BpfCmd.PROG_LOAD), log: logText() };
    } catch (e) {
      if (
        e instanceof BpfError &&
        e.errno === Errno.ENOSPC &&
        logBuf !== undefined &&
        logSize < MAX_LOG_SIZE
      ) {
        const needed = attr.getU32(ProgLoad.log_true_size);
        return attempt(logLevel, Math.min(MAX_LOG_SIZE, Math.max(needed + 1, logSize * 4)));
      }
      if (e instanceof BpfError && logText() !== '') throw rejection(logText(), e);
      throw e;
    }
  };

  const logSize = Math.max(1024, options.logSize ?? DEFAULT_LOG_SIZE);
  let loaded: { fd: number; log: string };
  if (options.logLevel !== undefined && options.logLevel > 0) {
    loaded = attempt(options.logLevel, logSize);
  } else {
    try {
      loaded = attempt(0, 0);
    } catch (e) {
      // EACCES and EINVAL are how the verifier says no; reload with a log to say why.
      if (!(e instanceof BpfError) || (e.errno !== Errno.EACCES && e.errno !== Errno.EINVAL)) throw e;
      loaded = { ...attempt(1, logSize), log: '' };
    }
  }
  return new KernelProgram(loaded.fd, options.type, name, insns.length / 8, loaded.log);
}

/** Builds a VerifierError whose message is the verifier's own complaint and pc its last insn. */
function rejection(log: string, cause: BpfError): VerifierError {
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  const summary = /^(processed \d+ insns|verification time|stack depth|Func#|func#)/;
  let complaint: string | undefined;
  let at = lines.length;
  for (let k = lines.length - 1; k >= 0; k--) {
    if (!summary.test(lines[k]!)) {
      complaint = lines[k];
      at = k;
      break;
    }
  }
  let pc: number | undefined;
  for (let k = at; k >= 0; k--) {
    const m = /^(\d+): \(/.exec(lines[k]!);
    if (m !== null) {
      pc = Number(m[1]);
      break;
    }
  }
  const message = `kernel verifier rejected the program (${cause.message.replace(/^bpf: /, '')}): ${complaint ?? 'no message'}`;
  return new VerifierError(message, log, pc, cause.errno);
}

function cString(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
}

function invalid(message: string): TsbpfError {
  return new TsbpfError('INVALID_ARGUMENT', message);
}
