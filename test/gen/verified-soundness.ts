// Soundness of the verifier, tested: a composed program (test/gen/verifier-mixed.ts) that tsbpf's
// verifier accepts must run on the interpreter and the JIT over random packets and random map
// contents without any runtime fault — a MemoryFault would mean the verifier let an
// out-of-bounds access through; anything else thrown would mean it let some other runtime check
// (helper arguments, references, budgets) decide instead. The same runs are the engines'
// differential: every backend (the JIT, and the kernel where a test adds it) must give the
// interpreter's return value, packet and context after each run, and its maps after the last.
// Used by src/runtime/vm/verified-soundness.test.ts (CI-sized), src/kernel/mixed-diff.test.ts
// and scripts/verifier-soundness.mjs.

import { BpfError, NotSupportedError } from '../../src/errors.js';
import {
  type Collection,
  type EngineName,
  type LoadOptions,
  load,
  type TestRunInput,
} from '../../src/index.js';
import type { CollectionSpec } from '../../src/program/index.js';
import type { ProgTypeName } from '../../src/uapi/index.js';
import { programInput, verifyProgram } from '../../src/verifier/index.js';
import { ctxInputs } from '../parity/inputs.js';
import { generateMixed } from './verifier-mixed.js';

/** A generated program (test/gen/verifier-mixed.ts, verifier-unprivileged.ts). */
export interface Generated {
  readonly text: string;
  readonly spec: CollectionSpec;
  /** Every choice was one the kernel should accept (composed programs). */
  readonly clean?: boolean;
}

/** The programs a soundness run draws, and how they are verified. */
export interface SoundnessSource {
  readonly generate: (seed: number) => Generated;
  /** Verified as a root load (true) or an unprivileged one. */
  readonly privileged: boolean;
}

/** The composed programs of verifier-mixed.ts, privileged. */
/**
 * The composed programs, without socket lookups: the runtime models no host sockets (running a
 * lookup is NotSupportedError), and the other blocks of those programs would go unrun.
 */
export const MIXED: SoundnessSource = {
  generate: (seed) => generateMixed(seed, { sockets: false }),
  privileged: true,
};

export interface SoundnessFailure {
  readonly seed: number;
  readonly engine: string;
  readonly run: number;
  readonly error: string;
  readonly text: string;
}

/** A backend that disagreed with the interpreter: the first differing line of their outcomes. */
export interface Disagreement {
  readonly seed: number;
  readonly backend: string;
  readonly first: string;
}

export interface SoundnessTally {
  programs: number;
  accepted: number;
  runs: number;
  /** Programs whose outcomes were compared with the interpreter's, by backend. */
  readonly compared: Map<string, number>;
  /** Programs not compared on a backend, by `backend: reason` (Backend.skips, Backend.knownFailure). */
  readonly apart: Map<string, number>;
  readonly failures: SoundnessFailure[];
  /** Accepted programs whose backend gave another retval, packet, context or map than the interpreter. */
  readonly engineDisagreements: Disagreement[];
}

/** Where a program runs: the VM on one engine, or another backend (the kernel) a test supplies. */
export interface Backend {
  readonly name: string;
  /** Loads the spec, verified (as a `privileged` load or not) or (`verify` false: the harness' own check) not. */
  open(spec: CollectionSpec, verify: boolean, privileged?: boolean): Collection;
  /** Added to every run's input (e.g. the CPU). */
  readonly input?: TestRunInput;
  /** True when an error (at load or run) is an outcome to compare rather than a soundness failure (the kernel). */
  readonly errorsCompared?: boolean;
  /** A reason for a load error that is the backend's own known failure: counted apart, not compared. */
  readonly knownFailure?: (spec: CollectionSpec, error: unknown) => string | undefined;
  /** A reason not to run a program on this backend at all (counted apart). */
  readonly skips?: (program: Generated) => string | undefined;
}

/** The VM on `engine`; a JIT that falls back to the interpreter is a failure, not a JIT run. */
export function vmBackend(engine: EngineName, options: LoadOptions = {}, input?: TestRunInput): Backend {
  return {
    name: engine,
    open(spec, verify, privileged = true) {
      const c = load(spec, { ...options, engine, verify, privileged });
      for (const [name, p] of c.programs)
        if (p.engineName !== engine) {
          c.close();
          throw new Error(`program ${name} runs on ${p.engineName}, not ${engine}: ${p.engineReason}`);
        }
      return c;
    },
    ...(input === undefined ? {} : { input }),
  };
}

export const ENGINES: readonly Backend[] = [vmBackend('interp'), vmBackend('jit')];

/** xorshift32 for the inputs, seeded apart from the program. */
function rng(seed: number): () => number {
  let s = (Math.imul(seed, 0x2545f491) ^ 0x3c6ef372) | 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

const bytes = (next: () => number, n: number): Uint8Array =>
  Uint8Array.from({ length: n }, () => next() & 0xff);

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** Random contents: every array index, a random subset of hash keys 0-5 (the generator's keys). */
function fill(c: Collection, next: () => number): void {
  for (const [, m] of c.maps) {
    if (m.spec.type === 'RINGBUF') continue;
    const keys = m.spec.type === 'HASH' ? [0, 1, 2, 3, 4, 5].filter(() => next() % 2 === 0) : [];
    if (m.spec.type !== 'HASH') for (let k = 0; k < m.spec.maxEntries; k++) keys.push(k);
    for (const k of keys) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, k, true);
      m.update(key, bytes(next, m.valueSize));
    }
  }
}

/**
 * Every map's elements (keys sorted: hash order is the backend's), one line a map. Ring buffers are
 * left out: their records are read through the ring, which Collection does not offer.
 */
function mapLines(c: Collection): string[] {
  const lines: string[] = [];
  for (const [name, m] of c.maps) {
    if (m.spec.type === 'RINGBUF') continue;
    const elements: string[] = [];
    let k = m.nextKey();
    for (let n = 0; k !== undefined && n <= m.spec.maxEntries; n++, k = m.nextKey(k))
      elements.push(`${hex(k)}=${hex(m.lookup(k) ?? new Uint8Array(0))}`);
    lines.push(`map ${name}: ${elements.sort().join(' ')}`);
  }
  return lines.sort();
}

/**
 * The run's ctx_in, by `choice`: none (one run in three), or one of the parity test's contexts
 * (test/parity/inputs.ts) the kernel takes for any frame — the xdp_md with 8 bytes of metadata only
 * when a 14-byte frame is left after them, never the one that makes a fragment.
 */
function contextFor(type: ProgTypeName, data: Uint8Array, choice: number): Uint8Array | undefined {
  const usable = ctxInputs(type, data).filter(
    (v) => !v.label.includes('linear part') && (!v.label.includes('metadata') || data.length >= 8 + 14),
  );
  const pick = choice % (usable.length + 1);
  return pick === 0 ? undefined : usable[pick - 1]!.ctx;
}

/** The first line where two outcomes differ, or undefined. */
function firstDifference(a: readonly string[], b: readonly string[]): string | undefined {
  for (let k = 0; k < Math.max(a.length, b.length); k++)
    if (a[k] !== b[k]) return `interp ${a[k] ?? '(nothing)'} | other ${b[k] ?? '(nothing)'}`;
  return undefined;
}

/**
 * Runs `inputs` random packets through program `seed` on every backend (the first is the
 * interpreter, whose outcome the others must give), if tsbpf accepts it. With `refused`, the other
 * way round (the harness' own check): the programs tsbpf refuses, loaded unverified, whose runs
 * must fault at times.
 */
export function checkSeed(
  seed: number,
  inputs: number,
  tally: SoundnessTally,
  refused = false,
  backends: readonly Backend[] = ENGINES,
  source: SoundnessSource = MIXED,
): void {
  const g = source.generate(seed);
  const p = g.spec.programs[0]!;
  const verdict = verifyProgram(programInput(g.spec, p, { logLevel: 0, privileged: source.privileged }));
  tally.programs++;
  if ((verdict.verdict === 'accepted') === refused) return;
  tally.accepted++;
  const outcomes: (string[] | undefined)[] = [];
  const noteApart = (backend: Backend, reason: string) => {
    const key = `${backend.name}: ${reason}`;
    tally.apart.set(key, (tally.apart.get(key) ?? 0) + 1);
  };
  const apart = (backend: Backend, reason: string) => {
    noteApart(backend, reason);
    outcomes.push(undefined);
  };
  // What the reference (the first backend) could not run, named: no other backend is compared.
  let unsupported: string | undefined;
  for (const backend of backends) {
    const next = rng(seed);
    const skip = unsupported ?? backend.skips?.(g);
    if (skip !== undefined) {
      apart(backend, skip);
      continue;
    }
    let c: Collection;
    try {
      c = backend.open(g.spec, !refused, source.privileged);
    } catch (e) {
      const known = backend.knownFailure?.(g.spec, e);
      if (known !== undefined) apart(backend, known);
      else if (backend.errorsCompared) outcomes.push([`load: ${String(e)}`]);
      else {
        tally.failures.push({
          seed,
          engine: backend.name,
          run: -1,
          error: `load: ${String(e)}`,
          text: g.text,
        });
        outcomes.push(undefined);
      }
      continue;
    }
    const seen: string[] = [];
    let complete = true;
    try {
      fill(c, next);
      const prog = c.programs.get(p.name)!;
      for (let run = 0; run < inputs; run++) {
        tally.runs++;
        const data = bytes(next, 14 + (next() % 83));
        const ctx = contextFor(p.type, data, next());
        try {
          const r = prog.run({ ...backend.input, data, ...(ctx === undefined ? {} : { ctx }) });
          seen.push(
            `run ${run}: retval ${r.retval} data ${hex(r.data)} ctx ${r.ctx === undefined ? '-' : hex(r.ctx)}`,
          );
        } catch (e) {
          // The test run refused the input before the program ran (a random skb too short for
          // the ethertype it names: EINVAL, as BPF_PROG_TEST_RUN): no run, no fault; the errno
          // is compared, in one form for every backend.
          if (e instanceof BpfError) {
            seen.push(`run ${run}: input refused (${e.errnoName})`);
            continue;
          }
          if (backend.errorsCompared) {
            seen.push(`run ${run}: ${String(e)}`);
            continue;
          }
          // A program the VM cannot test-run (NotSupported, named): counted apart.
          if (e instanceof NotSupportedError) {
            noteApart(backend, e.message);
            if (outcomes.length === 0) unsupported = `${backend.name}: ${e.message}`;
            complete = false;
            break;
          }
          tally.failures.push({ seed, engine: backend.name, run, error: String(e), text: g.text });
          complete = false;
          break;
        }
      }
      seen.push(...mapLines(c));
    } finally {
      c.close();
    }
    outcomes.push(complete ? seen : undefined);
  }
  const reference = outcomes[0];
  if (refused || reference === undefined) return;
  backends.forEach((backend, k) => {
    const outcome = outcomes[k];
    if (k === 0 || outcome === undefined) return;
    tally.compared.set(backend.name, (tally.compared.get(backend.name) ?? 0) + 1);
    const first = firstDifference(reference, outcome);
    if (first !== undefined) tally.engineDisagreements.push({ seed, backend: backend.name, first });
  });
}

export function soundness(
  first: number,
  count: number,
  inputs: number,
  refused = false,
  backends: readonly Backend[] = ENGINES,
  source: SoundnessSource = MIXED,
): SoundnessTally {
  const tally: SoundnessTally = {
    programs: 0,
    accepted: 0,
    runs: 0,
    compared: new Map(),
    apart: new Map(),
    failures: [],
    engineDisagreements: [],
  };
  for (let seed = first; seed < first + count; seed++)
    checkSeed(seed, inputs, tally, refused, backends, source);
  return tally;
}
