// Pins the calling thread to one CPU (sched_setaffinity(2) through koffi) so that the kernel's
// BPF_PROG_TEST_RUN, which runs XDP and skb programs on whatever CPU the caller is on (it
// accepts no BPF_F_TEST_RUN_ON_CPU for them), touches a known per-CPU slot. Test support only.

import { after, before } from 'node:test';
import koffi from 'koffi';

/** Bytes of a cpu_set_t (glibc: 1024 bits). */
const CPU_SET_BYTES = 128;

interface Sched {
  readonly setaffinity: (pid: number, size: number, mask: Uint8Array) => number;
  readonly getaffinity: (pid: number, size: number, mask: Uint8Array) => number;
  readonly getcpu: () => number;
}

let sched: Sched | undefined;
function bind(): Sched {
  if (sched !== undefined) return sched;
  const lib = koffi.load('libc.so.6');
  sched = {
    setaffinity: lib.func('int sched_setaffinity(int pid, size_t size, void *mask)') as Sched['setaffinity'],
    getaffinity: lib.func(
      'int sched_getaffinity(int pid, size_t size, _Out_ void *mask)',
    ) as Sched['getaffinity'],
    getcpu: lib.func('int sched_getcpu()') as Sched['getcpu'],
  };
  return sched;
}

/** The CPUs the calling thread may run on now. */
export function allowedCpus(): number[] {
  const mask = new Uint8Array(CPU_SET_BYTES);
  if (bind().getaffinity(0, CPU_SET_BYTES, mask) !== 0)
    throw new Error(`sched_getaffinity: errno ${koffi.errno()}`);
  const out: number[] = [];
  for (let c = 0; c < CPU_SET_BYTES * 8; c++) if ((mask[c >> 3] ?? 0) & (1 << (c & 7))) out.push(c);
  return out;
}

/** The CPU the calling thread runs on. */
export function currentCpu(): number {
  return bind().getcpu();
}

/**
 * Restricts the calling thread (pid 0 = this thread, not the process) to `cpus` and returns a
 * function that restores the previous mask.
 */
export function pinThread(cpus: readonly number[]): () => void {
  const before = allowedCpus();
  const set = (list: readonly number[]) => {
    const mask = new Uint8Array(CPU_SET_BYTES);
    for (const c of list) {
      const byte = mask[c >> 3];
      if (!Number.isInteger(c) || byte === undefined)
        throw new RangeError(`CPU ${c} is outside the cpu_set_t`);
      mask[c >> 3] = byte | (1 << (c & 7));
    }
    if (bind().setaffinity(0, CPU_SET_BYTES, mask) !== 0)
      throw new Error(`sched_setaffinity(${list.join(',')}): errno ${koffi.errno()}`);
  };
  set(cpus);
  return () => set(before);
}

/**
 * For a test file: pins the thread before its tests to the highest CPU below `cpus` it may use (not
 * 0, where a backend that ignored the CPU would land) and restores its mask after them. `cpu` is
 * that CPU once the tests run (0 when `active` is false).
 */
export function pinForFile(cpus: number, active: boolean): { readonly cpu: number } {
  const pin = { cpu: 0 };
  let unpin: (() => void) | undefined;
  before(() => {
    if (!active) return;
    const allowed = allowedCpus().filter((c) => c < cpus);
    pin.cpu = allowed[allowed.length - 1] ?? currentCpu();
    unpin = pinThread([pin.cpu]);
  });
  after(() => unpin?.());
  return pin;
}
