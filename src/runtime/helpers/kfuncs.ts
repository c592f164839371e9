// The kfuncs the VM implements, by name (kfuncs have no stable ids: the kernel's are BTF ids of
// its vmlinux). Every other kfunc is refused by name at load. bpf_rcu_read_lock/_unlock
// (kernel/bpf/helpers.c, common to every program type) mark an RCU read-side section: the VM runs
// one program at a time with no concurrent updater, so they have nothing to do at run time; the
// nesting rules are the verifier's. The conntrack kfuncs are in conntrack.ts, the dynptr ones in
// dynptr.ts.

import { conntrackKfuncs } from './conntrack.js';
import { dynptrKfuncs } from './dynptr.js';
import type { RuntimeHelperFn } from './types.js';

export const RUNTIME_KFUNCS: ReadonlyMap<string, RuntimeHelperFn> = new Map<string, RuntimeHelperFn>([
  ['bpf_rcu_read_lock', () => 0n],
  ['bpf_rcu_read_unlock', () => 0n],
  ...conntrackKfuncs,
  ...dynptrKfuncs,
]);
