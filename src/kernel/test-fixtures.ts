// Test support for kernel/ (not exported): reading the example objects, the crafted packets and
// kernel-runs.json from the repository, located from the compiled file (dist-X/src/kernel/).

import { readdirSync, readFileSync } from 'node:fs';
import { loadCollectionSpec } from '../elf/index.js';
import type { CollectionSpec } from '../program/index.js';

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
