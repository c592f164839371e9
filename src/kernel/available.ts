// Whether this process can use bpf(2) at all, decided once by loading the smallest program
// (`r0 = 0; exit` as a socket filter) and closing it. Tests use the reason to skip; this does
// not probe individual features (program types, helpers, map types).

import { BpfError, NotSupportedError } from '../errors.js';
import { errnoName } from '../uapi/index.js';
import { loadProgram } from './program.js';

export type Availability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

let cached: Availability | undefined;

/** Cached answer to "does bpf() work here?", with the reason when it does not. */
export function bpfAvailability(): Availability {
  cached ??= probe();
  return cached;
}

function probe(): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` };
  try {
    // r0 = 0 (mov64 imm, opcode 0xb7); exit (0x95).
    const insns = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    loadProgram({ type: 'SOCKET_FILTER', insns }).close();
    return { ok: true };
  } catch (e) {
    if (e instanceof NotSupportedError) return { ok: false, reason: e.message };
    if (e instanceof BpfError) {
      const name = errnoName(e.errno);
      const hint =
        name === 'EPERM' || name === 'EACCES'
          ? ' (need root or CAP_BPF, or kernel.unprivileged_bpf_disabled=0)'
          : name === 'ENOSYS'
            ? ' (kernel built without CONFIG_BPF_SYSCALL, or seccomp)'
            : '';
      return { ok: false, reason: `bpf() refused: ${name}${hint}` };
    }
    return { ok: false, reason: `bpf() probe failed: ${(e as Error).message}` };
  }
}
