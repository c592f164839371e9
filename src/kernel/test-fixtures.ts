// Test support (not exported): reading the example objects, the crafted packets and
// kernel-runs.json from the repository (located from the compiled file, dist-X/src/kernel/), and
// replaying kernel-runs.json on a collection of either backend.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { loadCollectionSpec } from '../elf/index.js';
import { BpfError } from '../errors.js';
import type { CollectionSpec } from '../program/index.js';
import type { Collection } from '../runtime/index.js';
import { Errno } from '../uapi/index.js';

const root = new URL('../../../', import.meta.url);

/** Names of the example objects, e.g. `xdp_parse.v3.o`, sorted. */
export function exampleObjects(): string[] {
  return readdirSync(new URL('examples/', root))
    .filter((f) => f.endsWith('.o'))
    .sort();
}

export function exampleSpec(file: string): CollectionSpec {
  return loadCollectionSpec(new Uint8Array(readFileSync(new URL(`examples/${file}`, root))));
}

export interface Packet {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The crafted packets of test/packets/, in manifest order. */
export function packets(): Packet[] {
  const manifest = JSON.parse(readFileSync(new URL('test/packets/manifest.json', root), 'utf8')) as Record<
    string,
    { file: string }
  >;
  return Object.entries(manifest).map(([name, e]) => ({
    name,
    bytes: new Uint8Array(readFileSync(new URL(`test/packets/${e.file}`, root))),
  }));
}

export function packet(name: string): Uint8Array {
  const p = packets().find((x) => x.name === name);
  if (p === undefined) throw new Error(`no packet ${name}`);
  return p.bytes;
}

export interface RecordedRun {
  readonly packet: string;
  readonly retval?: number;
  /** 'unchanged' or the hex of data_out. */
  readonly out?: string;
  readonly error?: string;
}

export interface KernelRuns {
  readonly kernel: string;
  readonly programs: Record<string, { object: string; type: string; runs: RecordedRun[] }>;
}

export function kernelRuns(): KernelRuns {
  return JSON.parse(readFileSync(new URL('examples/kernel-runs.json', root), 'utf8')) as KernelRuns;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** kernel-runs.json grouped by object: object name → [program, its recorded runs], objects sorted. */
export function recordedByObject(): [string, [string, RecordedRun[]][]][] {
  const byObject = new Map<string, [string, RecordedRun[]][]>();
  for (const [prog, entry] of Object.entries(kernelRuns().programs)) {
    const list = byObject.get(entry.object) ?? [];
    list.push([prog, entry.runs]);
    byObject.set(entry.object, list);
  }
  return [...byObject].sort(([a], [b]) => (a < b ? -1 : 1));
}

/**
 * Replays the recorded runs of one object on a loaded collection (either backend), in the order
 * kernel_runs.py used: programs by name, packets in manifest order, map state carried over.
 * Each run must give the recorded retval and data_out, or the recorded refusal (EINVAL).
 * Returns the number of runs checked.
 */
export function replayKernelRuns(c: Collection, progs: readonly [string, RecordedRun[]][]): number {
  const input = new Map(packets().map((p) => [p.name, p.bytes]));
  const order = progs.map(([p]) => p).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  assert.deepEqual([...c.programs.keys()].sort(), order);
  let checked = 0;
  for (const name of order) {
    const prog = c.programs.get(name)!;
    for (const r of progs.find(([p]) => p === name)![1]) {
      const data = input.get(r.packet)!;
      const what = `${name} on ${r.packet}`;
      if (r.error !== undefined) {
        assert.throws(
          () => prog.run({ data }),
          (e: unknown) => e instanceof BpfError && e.errno === Errno.EINVAL,
          what,
        );
      } else {
        const got = prog.run({ data });
        assert.equal(got.retval, r.retval, `${what}: retval`);
        assert.equal(hex(got.data) === hex(data) ? 'unchanged' : hex(got.data), r.out, `${what}: data_out`);
      }
      checked++;
    }
  }
  return checked;
}
