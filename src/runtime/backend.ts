// The API a loaded collection offers, whichever backend holds it: the VM (this runtime with an
// engine) or the Linux kernel (kernel/). Types only; both backends implement them, so the same
// test or tool runs against either and compares results byte for byte.

import type { MapSpec } from '../program/index.js';
import type { ProgTypeName } from '../uapi/index.js';
import type { MapBatch } from './maps/types.js';

/** Input of one test run: the contract of the kernel's BPF_PROG_TEST_RUN. */
export interface TestRunInput {
  /** The packet (data_in). */
  readonly data?: Uint8Array;
  /** The context as raw bytes (ctx_in): `struct xdp_md` or `struct __sk_buff`. */
  readonly ctx?: Uint8Array;
  /** Runs the program this many times (default 1); the results are those of the last run. */
  readonly repeat?: number;
  /** Size of the output packet buffer (data_size_out); default: room for any result. */
  readonly dataSizeOut?: number;
  /** Size of the output context buffer (ctx_size_out); default: the context's size. */
  readonly ctxSizeOut?: number;
  /** BPF_F_TEST_* flags. */
  readonly flags?: number;
  /** The CPU to run on (with BPF_F_TEST_RUN_ON_CPU). */
  readonly cpu?: number;
}

export interface TestRunResult {
  /** The program's return value (the kernel reports 32 bits). */
  readonly retval: number;
  /** The packet after the run (data_out). */
  readonly data: Uint8Array;
  /** The context after the run (ctx_out), when the program type has one to report. */
  readonly ctx?: Uint8Array;
  /** Average time of one run in nanoseconds, as the backend measured it. */
  readonly duration: number;
}

export interface LoadedProgram {
  readonly name: string;
  /**
   * What user space writes into a prog array (or a devmap/cpumap program slot) to put this
   * program there: its fd on the kernel, its id in the VM (whose maps take ids for fds).
   */
  readonly fd: number;
  readonly type: ProgTypeName;
  run(input?: TestRunInput): TestRunResult;
}

/**
 * A map seen from user space, as bpf(2) shows it: keys and values as bytes; per-CPU maps
 * read and write all CPUs' values at once, each rounded up to 8 bytes. Errors are TsbpfErrors
 * that carry the kernel's errno.
 */
export interface LoadedMap {
  readonly name: string;
  /** What user space writes into a map-in-map to put this map there: its fd on the kernel, its id in the VM. */
  readonly fd: number;
  readonly spec: MapSpec;
  /** Bytes of a value as lookup returns and update takes it (per-CPU maps: all CPUs). */
  readonly valueSize: number;
  lookup(key: Uint8Array): Uint8Array | undefined;
  update(key: Uint8Array, value: Uint8Array, flags?: number): void;
  delete(key: Uint8Array): void;
  /** get_next_key: the key after `key`, the first key without one, undefined at the end. */
  nextKey(key?: Uint8Array): Uint8Array | undefined;
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (hash types; queue/stack pop with an empty key): undefined for ENOENT. */
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined;
  /**
   * BPF_MAP_LOOKUP_BATCH: up to `count` elements after `cursor` (undefined: from the start). The
   * cursor is opaque (the kernel's hash maps count buckets); it is undefined when the walk is done
   * (the kernel's ENOENT). A kernel hash bucket larger than `count` is ENOSPC.
   */
  lookupBatch(cursor: Uint8Array | undefined, count: number): MapBatch;
  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH: as lookupBatch, deleting what it returns (hash types). */
  lookupAndDeleteBatch(cursor: Uint8Array | undefined, count: number): MapBatch;
  /** BPF_MAP_UPDATE_BATCH: the count; a failure throws BpfError whose `count` says how many were done. */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], flags?: number): number;
  /** BPF_MAP_DELETE_BATCH (hash types): the count; a failure throws BpfError with `count`. */
  deleteBatch(keys: readonly Uint8Array[]): number;
  /** Every key and value in flat buffers: lookup batches to the end (an element walk for types without them). */
  dump(): MapBatch;
}

export interface Collection {
  readonly programs: ReadonlyMap<string, LoadedProgram>;
  readonly maps: ReadonlyMap<string, LoadedMap>;
  /** Releases everything the collection holds; using it afterwards throws ClosedError. */
  close(): void;
  [Symbol.dispose](): void;
}
