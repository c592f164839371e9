// A network namespace made for one run, with veth pairs inside, through iproute2's `ip` (run as
// a child process) — and a way to run code inside it: setns(2) on the calling thread, undone
// before returning, so sockets and links made in `run` belong to the namespace. Deleting the
// namespace removes its veths; every namespace still open at process exit is deleted too, so a
// failing run leaves nothing behind. Names carry a caller's prefix; only our own are touched.

import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { ClosedError, NotSupportedError, TsbpfError } from '../errors.js';
import { check, netLibc } from './libc-net.js';

/** include/uapi/linux/sched.h */
const CLONE_NEWNET = 0x40000000;
/** IFNAMSIZ - 1 */
const IFNAME_MAX = 15;

export interface NetDev {
  readonly name: string;
  readonly ifindex: number;
}

/** Two veth ends: a frame sent out of one arrives on the other. */
export interface VethPair {
  readonly a: NetDev;
  readonly b: NetDev;
}

const open = new Set<Netns>();
let exitHook = false;
let counter = 0;

function ip(args: readonly string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { code?: string; stderr?: string; message: string };
    if (err.code === 'ENOENT')
      throw new NotSupportedError('network namespaces', 'iproute2 `ip` is not installed');
    const why = (err.stderr ?? err.message).trim();
    throw new TsbpfError('INVALID_ARGUMENT', `ip ${args.join(' ')}: ${why}`, { cause: e });
  }
}

/**
 * Moves the calling thread into namespace `name` (setns(2) on /run/netns/NAME), for good: what a
 * child process does first to live in a namespace of its parent's test; Netns.run returns after.
 */
export function joinNetns(name: string): void {
  const target = openSync(`/run/netns/${name}`, 'r');
  try {
    check('setns', netLibc().setns(target, CLONE_NEWNET), name);
  } finally {
    closeSync(target);
  }
}

export class Netns implements Disposable {
  readonly name: string;
  readonly #prefix: string;
  #closed = false;
  #veths = 0;

  private constructor(name: string, prefix: string) {
    this.name = name;
    this.#prefix = prefix;
  }

  /**
   * Creates a namespace named `${prefix}${pid}n${k}` with loopback up and IPv6 off (no stray
   * router solicitations on the veths). Throws NotSupportedError where `ip netns` is refused.
   */
  static create(prefix = 'tsbpf'): Netns {
    if (!/^[a-z][a-z0-9]{0,7}$/.test(prefix))
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `netns prefix '${prefix}' must be 1-8 of [a-z0-9], a letter first`,
      );
    const name = `${prefix}${process.pid}n${counter++}`;
    try {
      ip(['netns', 'add', name]);
    } catch (e) {
      if (e instanceof TsbpfError && /Operation not permitted|Permission denied/.test(e.message))
        throw new NotSupportedError('network namespaces', e.message);
      throw e;
    }
    const ns = new Netns(name, prefix);
    open.add(ns);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const n of open) n.close();
      });
    }
    try {
      ip(['-n', name, 'link', 'set', 'lo', 'up']);
      ns.run(() => {
        for (const k of ['all', 'default']) writeFileSync(`/proc/sys/net/ipv6/conf/${k}/disable_ipv6`, '1');
      });
    } catch (e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Adds a veth pair named `${prefix}${k}a` / `${prefix}${k}b`, both up, each end with `queues`
   * RX and TX queues (default 1) and, when given, the ifindexes `ifindex` (a fresh namespace
   * numbers devices from 2; fixed ones let map values name them).
   */
  addVeth(
    options: {
      readonly queues?: readonly [number, number];
      readonly ifindex?: readonly [number, number];
    } = {},
  ): VethPair {
    this.#live();
    const k = this.#veths++;
    const a = `${this.#prefix}${k}a`;
    const b = `${this.#prefix}${k}b`;
    if (a.length > IFNAME_MAX) throw new TsbpfError('INVALID_ARGUMENT', `interface name '${a}' is too long`);
    const [qa, qb] = options.queues ?? [1, 1];
    for (const q of [qa, qb])
      if (!Number.isInteger(q) || q < 1 || q > 1024)
        throw new TsbpfError('INVALID_ARGUMENT', `queue count ${q} is not in [1, 1024]`);
    for (const i of options.ifindex ?? [])
      if (!Number.isInteger(i) || i < 2 || i > 0x7fffffff)
        throw new TsbpfError('INVALID_ARGUMENT', `ifindex ${i} is not in [2, 2^31)`);
    const qs = (n: number) => ['numtxqueues', String(n), 'numrxqueues', String(n)];
    const at = (i: number | undefined) => (i === undefined ? [] : ['index', String(i)]);
    const [ia, ib] = options.ifindex ?? [undefined, undefined];
    ip([
      '-n',
      this.name,
      'link',
      'add',
      a,
      ...at(ia),
      ...qs(qa),
      'type',
      'veth',
      'peer',
      'name',
      b,
      ...at(ib),
      ...qs(qb),
    ]);
    ip(['-n', this.name, 'link', 'set', a, 'up']);
    ip(['-n', this.name, 'link', 'set', b, 'up']);
    return { a: this.device(a), b: this.device(b) };
  }

  /** A device of this namespace by name, with its ifindex. */
  device(name: string): NetDev {
    this.#live();
    const info = JSON.parse(ip(['-n', this.name, '-j', 'link', 'show', 'dev', name])) as {
      ifindex: number;
    }[];
    const ifindex = info[0]?.ifindex;
    if (ifindex === undefined)
      throw new TsbpfError('INVALID_ARGUMENT', `no device '${name}' in ${this.name}`);
    return { name, ifindex };
  }

  /**
   * Runs `fn` with the calling thread inside this namespace (setns), then returns to the
   * thread's own namespace, also when `fn` throws. `fn` must be synchronous: only what it does
   * before returning happens inside.
   */
  run<T>(fn: () => T): T {
    this.#live();
    const home = openSync('/proc/thread-self/ns/net', 'r');
    try {
      joinNetns(this.name);
      try {
        return fn();
      } finally {
        check('setns', netLibc().setns(home, CLONE_NEWNET), 'the original namespace');
      }
    } finally {
      closeSync(home);
    }
  }

  /** Deletes the namespace and its veths; a second close is a no-op. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    open.delete(this);
    try {
      ip(['netns', 'del', this.name]);
    } catch {
      // Already gone (deleted by hand); nothing else to undo.
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #live(): void {
    if (this.#closed) throw new ClosedError(`network namespace ${this.name}`);
  }
}
