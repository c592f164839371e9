// The helper-function contract between engines and the runtime: how a `call imm` with
// src_reg 0 reaches TypeScript. Helpers take and return 64-bit values as bigint; the engine
// converts from its own register representation. Helper implementations live elsewhere.

import type { ConntrackTable } from './conntrack.js';
import type { ProgramContext } from './context/types.js';
import type { Interfaces } from './context/xdp.js';
import type { MapRegistry } from './maps/registry.js';
import type { AddressSpace } from './memory.js';

/**
 * The kernel's clocks bpf_ktime_get_*_ns read: CLOCK_MONOTONIC (ktime_get_ns), CLOCK_BOOTTIME
 * (ktime_get_boot_ns), CLOCK_MONOTONIC_COARSE (ktime_get_coarse_ns), CLOCK_TAI (ktime_get_tai_ns).
 */
export type ClockId = 'monotonic' | 'boottime' | 'monotonic-coarse' | 'tai';

/**
 * The machine's clocks in nanoseconds, by clock id (runtime/clock.ts: hostClock, virtualClock).
 * A function ignoring `id` serves every clock from one time line.
 */
export interface Clock {
  ns(id: ClockId): bigint;
}

/** The tail-call state of one test run (bpf_tail_call); the collection's run loop follows it. */
export interface TailCallState {
  /** Tail calls taken so far in this run (the kernel stops at MAX_TAIL_CALL_CNT). */
  count: number;
  /** The program id a successful bpf_tail_call asked for; the run loop clears it. */
  target: number | undefined;
}

/** Where bpf_redirect / bpf_redirect_map pointed the packet (the kernel's bpf_redirect_info). */
export interface RedirectState {
  ifindex: number;
  /** The map of a bpf_redirect_map, or undefined for a plain bpf_redirect. */
  map: number | undefined;
  /** The uapi flags; bpf_redirect_neigh/_peer set the kernel's internal BPF_F_NEIGH/_PEER/_NEXTHOP. */
  flags: bigint;
  /** bpf_redirect_neigh's struct bpf_redir_neigh (20 bytes), when the program gave one. */
  nexthop?: Uint8Array | undefined;
}

/** The bpf_spin_lock the running program holds (one CPU, so at most one): the lock's address. */
export interface SpinLockState {
  held: number | undefined;
}

/**
 * One route of the table bpf_fib_lookup consults (the embedder's FIB; the kernel's would be the
 * netns routing table). `prefix` is 'a.b.c.d/len' or an IPv6 'x:y::z/len'; the longest prefix
 * wins, then the lowest metric. `type` other than 'unicast' gives the matching
 * BPF_FIB_LKUP_RET_* code (blackhole, unreachable, prohibit) as the kernel maps RTN_* types.
 */
export interface FibRoute {
  readonly prefix: string;
  /** Egress interface (params->ifindex on success). */
  readonly ifindex: number;
  /** Next hop; absent: the destination is on-link (its own neighbour entry is looked up). */
  readonly gateway?: string;
  readonly type?: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'local';
  /** Route MTU (RTAX_MTU); default the device MTU. */
  readonly mtu?: number;
  /** Route priority (params->rt_metric). */
  readonly metric?: number;
}

/** A resolved neighbour (NUD_VALID): the MAC address of `address` on interface `ifindex`. */
export interface FibNeighbour {
  readonly ifindex: number;
  readonly address: string;
  /** 'aa:bb:cc:dd:ee:ff'. */
  readonly mac: string;
}

/** A network device as bpf_fib_lookup sees it: its MAC (params->smac), MTU and forwarding switch. */
export interface FibDevice {
  readonly ifindex: number;
  readonly mac?: string;
  /** Default 1500. */
  readonly mtu?: number;
  /** net.ipv4.conf.<dev>.forwarding / net.ipv6.conf.<dev>.forwarding; default true. */
  readonly forwarding?: boolean;
}

/**
 * The routing state bpf_fib_lookup uses. Without one (the default) every interface exists with
 * forwarding disabled, as in a fresh network namespace: lookups answer FWD_DISABLED.
 */
export interface FibTable {
  readonly devices: readonly FibDevice[];
  readonly routes: readonly FibRoute[];
  readonly neighbours: readonly FibNeighbour[];
}

/**
 * What a helper sees of the machine during a call. Engines create one per run with `memory`,
 * `pc` and `exit`; a loaded collection (runtime/vm/) hands its helpers the full set below
 * (see RuntimeEnv). Bare engine runs (runWithMemory, the conformance plugin) have only the first three.
 */
export interface HelperEnv {
  readonly memory: AddressSpace;
  /** Slot index of the `call` instruction being served. */
  readonly pc: number;
  /**
   * Set by a helper to end the run as soon as it returns, with r0 = its result (the unwind
   * helper of uBPF's conformance plugin; tail calls will take the same path out).
   */
  exit: boolean;
  /**
   * Runs the program's function at address `fn` (what `lddw rX, func` loaded: a callback of
   * bpf_loop or bpf_for_each_map_elem) with r1..r5 = args and returns its r0. Set by engines that
   * support nested calls (Engine.callFunction).
   */
  callFunction?: ((fn: bigint, args: readonly bigint[]) => bigint) | undefined;
  /** Maps by handle address: r1 of a map helper is what `lddw rX, map` loaded. */
  readonly maps?: MapRegistry;
  /** The program context of this run (xdp_md or __sk_buff and its packet). */
  readonly ctx?: ProgramContext;
  /** The virtual CPU the run is on (bpf_get_smp_processor_id, per-CPU map values). */
  readonly cpu?: number;
  readonly tailCall?: TailCallState;
  readonly redirect?: RedirectState;
  /** Receives each bpf_trace_printk line (the text the kernel writes to trace_pipe after the prefix). */
  readonly trace?: (line: string) => void;
  readonly clock?: Clock;
  /** A 32-bit random number (bpf_get_prandom_u32). */
  readonly random?: () => number;
  readonly spinLock?: SpinLockState;
  /** The conntrack table the conntrack kfuncs look up (the embedder fills it). */
  readonly conntrack?: ConntrackTable;
  /** The SYN-cookie secret (64 bytes: siphash keys c=0, 1 for IPv4, then for IPv6). */
  readonly syncookieSecret?: Uint8Array;
  /** The network devices that exist (ifindex -> rx queues): bpf_check_mtu's ifindex lookup. */
  readonly interfaces?: Interfaces;
  /** The routing table of bpf_fib_lookup (undefined in a RuntimeEnv: forwarding disabled). */
  readonly fib?: FibTable | undefined;
}

/** The env a collection's helpers get: every optional service present. */
export type RuntimeEnv = HelperEnv &
  Required<Omit<HelperEnv, 'memory' | 'pc' | 'exit' | 'callFunction' | 'fib'>>;

/** A helper: r1-r5 in, r0 out, all as unsigned 64-bit bigints. May throw a TsbpfError. */
export type HelperFn = (env: HelperEnv, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

/** Helpers by id (the kernel's `enum bpf_func_id` numbers, e.g. 1 = map_lookup_elem). */
export type HelperTable = ReadonlyMap<number, HelperFn>;

/**
 * The runtime's own helper implementations as bound for one collection (vm/env.ts bindHelpers),
 * by the helper id they implement. An engine may replace a call to one of these by code of its
 * own with the same semantics (the JIT emits the hot ones in Wasm); a helper an embedder put in
 * the table is never in it, so its calls always reach it.
 */
const runtimeHelperIds = new WeakMap<HelperFn, number>();

/** Records that `fn` is the runtime's implementation of helper `id`. */
export function markRuntimeHelper(fn: HelperFn, id: number): void {
  runtimeHelperIds.set(fn, id);
}

/** The helper id `fn` is the runtime's implementation of, or undefined for any other function. */
export function runtimeHelperId(fn: HelperFn): number | undefined {
  return runtimeHelperIds.get(fn);
}
