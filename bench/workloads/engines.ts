// The backends a workload runs on: the VM on the interpreter, the VM on the JIT (the `engine:
// 'jit'` load option, once it exists), and the kernel through bpf(2). A backend that cannot run
// here is reported with its reason instead of a collection.

import {
  type Collection,
  type CollectionSpec,
  type LoadOptions,
  load,
  NotSupportedError,
} from '../../src/index.js';
import { bpfAvailability, loadKernel } from '../../src/kernel/index.js';

export type BackendName = 'interp' | 'jit' | 'kernel';
export const BACKENDS: readonly BackendName[] = ['interp', 'jit', 'kernel'];

export type Opened =
  | { readonly ok: true; readonly collection: Collection }
  | { readonly ok: false; readonly reason: string };

/**
 * Loads `spec` on `backend`. The JIT is asked for by `{ engine: 'jit' }`; a build without it
 * refuses that option (a NotSupportedError, or a TypeError where the engine must be a factory),
 * which is reported, not thrown.
 */
export function open(spec: CollectionSpec, backend: BackendName): Opened {
  switch (backend) {
    case 'interp':
      return { ok: true, collection: load(spec, { engine: 'interp' }) };
    case 'jit':
      try {
        return { ok: true, collection: load(spec, { engine: 'jit' } as unknown as LoadOptions) };
      } catch (e) {
        // Only the absence of the option is n/a; any other failure of the JIT is the JIT's bug.
        if (!(e instanceof NotSupportedError || e instanceof TypeError)) throw e;
        return { ok: false, reason: `no JIT engine in this build (${e.message})` };
      }
    case 'kernel': {
      const a = bpfAvailability();
      return a.ok ? { ok: true, collection: loadKernel(spec) } : { ok: false, reason: a.reason };
    }
  }
}
