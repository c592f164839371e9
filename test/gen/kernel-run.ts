// Runs a generated program on the real kernel: stores its inputs in an array map value, loads it
// as a socket filter whose epilogue writes r0-r9 and the stack window into that value, runs it
// once with BPF_PROG_TEST_RUN, and reads the 18 words back. One map serves every run.

import { VerifierError } from '../../src/errors.js';
import { createMap, type KernelMap, loadProgram } from '../../src/kernel/index.js';
import { assemble, type GeneratedProgram, initialValue, resultWords, VALUE_BYTES } from './program.js';
import { listing } from './pseudo-c.js';

const KEY0 = new Uint8Array(4);
/** Socket-filter test runs need at least an Ethernet header of packet. */
const PACKET = new Uint8Array(64);

export class KernelRunner implements Disposable {
  readonly map: KernelMap = createMap({
    type: 'ARRAY',
    keySize: 4,
    valueSize: VALUE_BYTES,
    maxEntries: 1,
    name: 'oracle',
  });
  /** Programs loaded and instructions (body only) run so far. */
  programs = 0;
  bodyInsns = 0;

  /** The 18 result words (r0-r9, then the stack window), or throws with the verifier log. */
  run(p: GeneratedProgram): bigint[] {
    const insns = assemble(p, this.map.fd);
    this.map.update(KEY0, initialValue(p));
    let prog: ReturnType<typeof loadProgram>;
    try {
      prog = loadProgram({ type: 'SOCKET_FILTER', insns, name: 'oracle' });
    } catch (e) {
      if (e instanceof VerifierError) {
        throw new Error(
          `the generator made a program the kernel refuses: ${e.message}\n${listing(insns)}\n--- log\n${e.log}`,
        );
      }
      throw e;
    }
    try {
      const r = prog.testRun({ data: PACKET });
      if (r.retval !== 0) throw new Error(`epilogue not reached: retval ${r.retval}`);
    } finally {
      prog.close();
    }
    this.programs++;
    this.bodyInsns += p.body.length;
    return resultWords(this.map.lookup(KEY0)!);
  }

  /** The verifier log of `p` at level 2 (every processed instruction), to diagnose a mismatch. */
  verifierLog(p: GeneratedProgram): string {
    using prog = loadProgram({
      type: 'SOCKET_FILTER',
      insns: assemble(p, this.map.fd),
      name: 'oracle',
      logLevel: 2,
    });
    return prog.log;
  }

  /** The kernel's xlated instructions for `p` (loaded again, read, closed), to diagnose a mismatch. */
  xlated(p: GeneratedProgram): Uint8Array {
    using prog = loadProgram({ type: 'SOCKET_FILTER', insns: assemble(p, this.map.fd), name: 'oracle' });
    return prog.xlated();
  }

  close(): void {
    this.map.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
