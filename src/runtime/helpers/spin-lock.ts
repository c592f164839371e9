// bpf_spin_lock (93) and bpf_spin_unlock (94) on a single-threaded VM: nothing can contend, so
// the helpers check what the verifier guarantees in the kernel — the lock lies in a map value,
// one lock at a time, unlock releases the lock held — and keep the lock word at 1 while held
// (as the kernel's lock would be). A lock still held at exit faults in the run loop
// (runtime/vm/collection.ts). Kernel: kernel/bpf/helpers.c __bpf_spin_lock_irqsave.

import { RuntimeFault } from '../../errors.js';
import type { RuntimeEnv } from '../helper.js';
import type { HelperImpl } from './types.js';

/** sizeof(struct bpf_spin_lock). */
const LOCK_SIZE = 4;

function lockAddress(env: RuntimeEnv, r: bigint, what: string): number {
  const m = env.maps.owner(r);
  if (m === undefined || r % 4n !== 0n) {
    throw new RuntimeFault(`${what}: 0x${r.toString(16)} is not a bpf_spin_lock in a map value`, env.pc);
  }
  env.memory.check(r, LOCK_SIZE, 'write', env.pc);
  return Number(r);
}

export const spinLockHelpers: readonly HelperImpl[] = [
  {
    id: 93, // bpf_spin_lock(lock)
    fn: (env, r1) => {
      const a = lockAddress(env, r1, 'bpf_spin_lock');
      const held = env.spinLock.held;
      if (held !== undefined) {
        const what =
          held === a
            ? 'the same lock again (deadlock)'
            : `a second lock while holding 0x${held.toString(16)}`;
        throw new RuntimeFault(`bpf_spin_lock: ${what}`, env.pc);
      }
      env.spinLock.held = a;
      env.memory.view.setUint32(a, 1, true);
      return 0n;
    },
  },
  {
    id: 94, // bpf_spin_unlock(lock)
    fn: (env, r1) => {
      const a = lockAddress(env, r1, 'bpf_spin_unlock');
      if (env.spinLock.held !== a) {
        throw new RuntimeFault(`bpf_spin_unlock: 0x${a.toString(16)} is not the lock held`, env.pc);
      }
      env.spinLock.held = undefined;
      env.memory.view.setUint32(a, 0, true);
      return 0n;
    },
  },
];
