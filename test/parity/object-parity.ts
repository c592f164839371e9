// Runs one example object in both backends side by side: every entry point (by name) on every
// crafted packet, first with the packet alone and then with a context, each run compared field by
// field (retval, data_out, ctx_out, or the errno when both refuse), and after each packet every
// map of the collection compared (walk + lookup, masks applied); queues and stacks are drained
// and compared at the end. Map state carries over from run to run on both sides alike.

import type { LoadedProgram, TestRunInput, TestRunResult } from '../../src/runtime/backend.js';
import { errnoName } from '../../src/uapi/index.js';
import { firstDiff, hex } from './diff.js';
import { ctxInputs } from './inputs.js';
import type { ValueMask } from './masks.js';
import { errnoOf, type Side } from './sides.js';
import { compareSnapshots, snapshot, walkable } from './snapshot.js';

export interface Packet {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface ObjectCounts {
  entryPoints: number;
  /** Runs compared (each a pair: one run per backend). */
  runs: number;
  /** Of those, runs both backends refused with the same errno. */
  refusedAlike: number;
  /** Of those, runs where both reported a ctx_out (compared byte for byte). */
  ctxCompared: number;
  /** Map snapshots compared (walked maps, queue heads and bloom probes included). */
  mapSnapshots: number;
  /** Distinct maps compared entry by entry. */
  mapsWalked: number;
  /** Maps neither backend can walk (compared by get_next_key's errno only, plus head/probes). */
  mapsUnwalkable: string[];
}

type Outcome = { readonly result: TestRunResult } | { readonly errno: number };

function attempt(p: LoadedProgram, input: TestRunInput): Outcome {
  try {
    return { result: p.run(input) };
  } catch (e) {
    return { errno: errnoOf(e) };
  }
}

/** The first difference between two runs' outcomes, or undefined. */
export function compareOutcomes(vm: Outcome, kernel: Outcome): string | undefined {
  const refused = (o: Outcome) =>
    'errno' in o ? `refused ${errnoName(o.errno)}` : `ran (retval ${o.result.retval})`;
  if ('errno' in vm || 'errno' in kernel) {
    if ('errno' in vm && 'errno' in kernel && vm.errno === kernel.errno) return undefined;
    return `outcome: vm ${refused(vm)}, kernel ${refused(kernel)}`;
  }
  const a = vm.result;
  const b = kernel.result;
  if (a.retval !== b.retval) return `retval: vm ${a.retval}, kernel ${b.retval}`;
  const data = firstDiff(hex(a.data), hex(b.data));
  if (data !== undefined) return `data_out ${data}`;
  if (a.ctx !== undefined || b.ctx !== undefined) {
    if (a.ctx === undefined || b.ctx === undefined)
      return `ctx_out: vm ${a.ctx === undefined ? 'none' : 'given'}, kernel ${b.ctx === undefined ? 'none' : 'given'}`;
    const ctx = firstDiff(hex(a.ctx), hex(b.ctx));
    if (ctx !== undefined) return `ctx_out ${ctx}`;
  }
  return undefined;
}

export interface ObjectParityInput {
  readonly file: string;
  readonly vm: Side;
  readonly kernel: Side;
  readonly packets: readonly Packet[];
  /** map name -> mask of clock-dependent value bytes. */
  readonly masks: Readonly<Record<string, ValueMask>>;
  readonly probeValues: readonly Uint8Array[];
  /** Stop collecting after this many differences (later ones usually follow from the first). */
  readonly maxMismatches?: number;
}

/** BPF_F_TEST_RUN_ON_CPU: XDP and skb test runs must refuse it (EINVAL) on both backends. */
const BPF_F_TEST_RUN_ON_CPU = 1;

export function objectParity(o: ObjectParityInput): { counts: ObjectCounts; mismatches: string[] } {
  const { vm, kernel } = o;
  const mismatches: string[] = [];
  const max = o.maxMismatches ?? 10;
  const counts: ObjectCounts = {
    entryPoints: 0,
    runs: 0,
    refusedAlike: 0,
    ctxCompared: 0,
    mapSnapshots: 0,
    mapsWalked: 0,
    mapsUnwalkable: [],
  };
  const vmNames = [...vm.collection.programs.keys()].sort();
  const kernelNames = [...kernel.collection.programs.keys()].sort();
  if (vmNames.join() !== kernelNames.join())
    return { counts, mismatches: [`${o.file}: programs: vm [${vmNames}], kernel [${kernelNames}]`] };
  const mapNames = [...kernel.collection.maps.keys()].sort();
  const vmMapNames = [...vm.collection.maps.keys()].sort();
  if (vmMapNames.join() !== mapNames.join())
    return { counts, mismatches: [`${o.file}: maps: vm [${vmMapNames}], kernel [${mapNames}]`] };

  const walked = new Set<string>();
  const unwalkable = new Set<string>();
  const compareMaps = (where: string): void => {
    for (const name of mapNames) {
      const spec = kernel.collection.maps.get(name)!.spec;
      const mask = o.masks[name];
      const a = snapshot(vm, name, mask, o.probeValues);
      const b = snapshot(kernel, name, mask, o.probeValues);
      counts.mapSnapshots++;
      (walkable(b) ? walked : unwalkable).add(name);
      const d = compareSnapshots(spec, a, b);
      if (d !== undefined && mismatches.length < max)
        mismatches.push(`${o.file} ${where}: map ${name} (${spec.type}): ${d}`);
    }
  };
  const check = (where: string, input: TestRunInput, p: string): void => {
    const a = attempt(vm.collection.programs.get(p)!, input);
    const b = attempt(kernel.collection.programs.get(p)!, input);
    counts.runs++;
    if ('errno' in a && 'errno' in b && a.errno === b.errno) counts.refusedAlike++;
    if ('result' in a && 'result' in b && a.result.ctx !== undefined && b.result.ctx !== undefined)
      counts.ctxCompared++;
    const d = compareOutcomes(a, b);
    if (d !== undefined && mismatches.length < max) mismatches.push(`${o.file} ${where}: ${d}`);
  };

  compareMaps('after load');
  const frame = o.packets.find((p) => p.bytes.length >= 64)?.bytes ?? new Uint8Array(64);
  for (const name of kernelNames) {
    counts.entryPoints++;
    const type = kernel.collection.programs.get(name)!.type;
    check(`${name} with BPF_F_TEST_RUN_ON_CPU`, { data: frame, flags: BPF_F_TEST_RUN_ON_CPU, cpu: 1 }, name);
    for (const pkt of o.packets) {
      check(`${name} on ${pkt.name} (data only)`, { data: pkt.bytes }, name);
      for (const { label, ctx } of ctxInputs(type, pkt.bytes))
        check(`${name} on ${pkt.name} (${label})`, { data: pkt.bytes, ctx }, name);
      compareMaps(`after ${name} on ${pkt.name}`);
    }
  }
  // Queues and stacks show only their head to a walk: pop them empty and compare the sequences.
  for (const name of mapNames) {
    const spec = kernel.collection.maps.get(name)!.spec;
    if (spec.type !== 'QUEUE' && spec.type !== 'STACK') continue;
    const show = (r: Uint8Array[] | number) => (typeof r === 'number' ? errnoName(r) : r.map(hex).join(' '));
    const a = show(vm.drain(name));
    const b = show(kernel.drain(name));
    counts.mapSnapshots++;
    if (a !== b && mismatches.length < max)
      mismatches.push(`${o.file} at the end: ${spec.type} ${name} popped: vm [${a}], kernel [${b}]`);
  }
  counts.mapsWalked = walked.size;
  counts.mapsUnwalkable = [...unwalkable];
  return { counts, mismatches };
}
