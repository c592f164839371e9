// A verifier's refusal shown in full, as bpftool shows libbpf's: the whole log (the failing
// instruction, the C source line `; ... @ file.c:11` where line info exists, the register
// states) between BEGIN/END markers on stderr, then the one-line error. On the VM the log is
// made again at the level asked (1, or 2 with -d/--log-level 2), since load() verifies silently;
// the kernel backend's log comes from the kernel itself.

import {
  type CollectionSpec,
  load,
  type ProgramSpec,
  programInput,
  VerifierError,
  verifyProgram,
} from '../index.js';

/**
 * tsbpf's verifier on program `p` of `spec` (a spec the VM's loader has CO-RE-relocated: the
 * programs as the kernel sees them), with the spec's maps and the program's line info.
 */
export function verifySpecProgram(
  spec: CollectionSpec,
  p: ProgramSpec,
  privileged: boolean,
  logLevel: 1 | 2,
) {
  return verifyProgram(programInput(spec, p, { privileged, logLevel }));
}

/** The VM's verifier log of one program at a level, with the explanation tsbpf adds. */
export function vmVerifierLog(
  spec: CollectionSpec,
  program: string,
  level: 1 | 2,
  privileged = true,
): { log: string; explanation?: string } | undefined {
  // The VM's loader applies CO-RE relocations; its spec holds the programs as the kernel sees them.
  const coll = load(spec, { verify: false });
  try {
    const p = coll.spec.programs.find((q) => q.name === program);
    if (p === undefined) return undefined;
    const r = verifySpecProgram(coll.spec, p, privileged, level);
    return { log: r.log, ...(r.explanationText === undefined ? {} : { explanation: r.explanationText }) };
  } finally {
    coll.close();
  }
}

/** The program a VerifierError names ("program 'x': ..."), if it names one. */
export function refusedProgram(e: VerifierError, names: readonly string[]): string | undefined {
  const m = /^program '([^']+)'/.exec(e.message);
  if (m !== null) return m[1];
  return names.length === 1 ? names[0] : undefined;
}

/** A VM refusal with the log at `level` in place of the silent load's (kernel ones pass through). */
export function withFullLog(e: VerifierError, spec: CollectionSpec, level: 1 | 2): VerifierError {
  const name = refusedProgram(
    e,
    spec.programs.map((p) => p.name),
  );
  if (name === undefined) return e;
  try {
    const full = vmVerifierLog(spec, name, level);
    if (full === undefined || full.log.trim() === '') return e;
    return new VerifierError(e.message, full.log, e.pc);
  } catch {
    return e; // the refusal as load() made it is still true; only the longer log is missing
  }
}
