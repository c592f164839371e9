// The out-of-bounds suite's case format (test/oob/*.oob): parses the cases and builds, for each,
// the CollectionSpec both backends load, the test-run input and the expected fault. Programs are
// assembly (with map-reference macros) or one program of a compiled C object in test/oob/.
// It runs nothing; src/runtime/vm/oob.test.ts and src/kernel/oob.test.ts do.
//
// A case:
//   === name                       starts a case
//   about: text                    what it shows
//   type: XDP                      program type (default XDP)
//   packet: 64                     packet bytes of the test run (default 64)
//   meta: 8                        metadata bytes before the packet (ctx_in data, default 0)
//   map: NAME TYPE KEY VALUE MAX [rdonly]   a map (repeatable; rdonly: BPF_F_RDONLY_PROG)
//   entry: NAME KEY                a zeroed value at u32 KEY before the run (repeatable)
//   object: FILE.o PROGRAM         the program is PROGRAM of a C object in test/oob/ ...
//   fault_in: FUNCTION             ... whose FAULT line is in FUNCTION (default PROGRAM)
//   fault: REGION ACCESS           the VM's fault: packet|ctx|map|stack|ringbuf|null|code, read|write
//   kernel: fragment               text the kernel's verifier log must contain
//   -- asm                         ... or the program is the assembly that follows
// In assembly, `rN = map(NAME) ll` loads a map (BPF_PSEUDO_MAP_FD), `rN = value(NAME, OFF) ll` the
// address of its value at OFF (BPF_PSEUDO_MAP_VALUE), and the line marked `; FAULT` is where the
// VM must stop. In C the faulting line carries a `FAULT` comment; line info finds it.

import { readFileSync } from 'node:fs';
import { assemble } from '../../src/asm/index.js';
import { loadCollectionSpec } from '../../src/elf/index.js';
import { type Instruction, op as O } from '../../src/isa/index.js';
import type { CollectionSpec, MapSpec, ProgramSpec } from '../../src/program/index.js';
import type { MapTypeName } from '../../src/uapi/map-types.js';
import type { ProgTypeName } from '../../src/uapi/prog-types.js';
import { type CaseFields, readCases } from './case-file.js';

export const OOB_DIR = new URL('../../../test/oob/', import.meta.url);

export type FaultRegion = 'packet' | 'ctx' | 'map' | 'stack' | 'ringbuf' | 'null' | 'code';
const REGIONS: readonly FaultRegion[] = ['packet', 'ctx', 'map', 'stack', 'ringbuf', 'null', 'code'];

/** BPF_F_RDONLY_PROG (include/uapi/linux/bpf.h). */
const BPF_F_RDONLY_PROG = 0x80;

export interface OobCase {
  readonly name: string;
  /** The .oob file it came from, for messages. */
  readonly file: string;
  readonly about: string;
  readonly spec: CollectionSpec;
  readonly program: string;
  readonly packet: number;
  readonly meta: number;
  readonly entries: readonly { readonly map: string; readonly key: number }[];
  readonly fault: { readonly region: FaultRegion; readonly access: 'read' | 'write' };
  readonly kernel: string;
  /** Where the VM must stop: a slot (assembly) or a C source line (objects, through line info). */
  readonly at: { readonly pc: number } | { readonly line: number; readonly source: string };
  /** The object's file when the program came from C (the kernel loads its BTF). */
  readonly object?: string;
}

/** Macro lines of the case assembly: `rN = map(NAME) ll`, `rN = value(NAME, OFF) ll`, `call kfunc NAME`. */
const MAP_MACRO = /^\s*(r\d+)\s*=\s*map\(\s*([\w.]+)\s*\)\s*ll\b/;
const VALUE_MACRO = /^\s*(r\d+)\s*=\s*value\(\s*([\w.]+)\s*,\s*(-?\w+)\s*\)\s*ll\b/;
/** `call kfunc NAME`: a kfunc call by name, as the ELF loader leaves an extern `__ksym` call. */
const KFUNC_MACRO = /^\s*call\s+kfunc\s+([A-Za-z_]\w*)\s*(;.*)?$/;

/**
 * Assembles case assembly: expands the map macros into symbolic lddw records and finds the slot
 * of the `; FAULT` line (every instruction line is one slot, an `ll` line two).
 */
export function assembleCase(text: string): { instructions: Instruction[]; faultPc: number | undefined } {
  const refs = new Map<number, { src: number; reference: string; hi: number }>();
  const kfuncs = new Map<number, string>();
  let slot = 0;
  let faultPc: number | undefined;
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    let line = raw;
    const m = MAP_MACRO.exec(line);
    const v = VALUE_MACRO.exec(line);
    const kf = KFUNC_MACRO.exec(line);
    if (kf !== null) {
      kfuncs.set(slot, kf[1]!);
      line = 'call kfunc 0';
    } else if (m !== null) {
      refs.set(slot, { src: O.BPF_PSEUDO_MAP_FD, reference: m[2]!, hi: 0 });
      line = `${m[1]} = 0 ll`;
    } else if (v !== null) {
      refs.set(slot, { src: O.BPF_PSEUDO_MAP_VALUE, reference: v[2]!, hi: Number(v[3]) });
      line = `${v[1]} = 0 ll`;
    }
    if (/;\s*FAULT\b/.test(raw)) faultPc = slot;
    const code = line.replace(/(;|\/\/|#).*$/, '').trim();
    if (code !== '' && !code.endsWith(':')) slot += /\bll$/.test(code) || /^ld_pseudo\b/.test(code) ? 2 : 1;
    lines.push(line);
  }
  const out: Instruction[] = [];
  let at = 0;
  for (const i of assemble(lines.join('\n'))) {
    const r = refs.get(at);
    const kf = kfuncs.get(at);
    if (kf !== undefined) out.push({ ...i, reference: kf });
    else out.push(r === undefined ? i : { ...i, src: r.src, reference: r.reference, hi: r.hi });
    at += i.op === O.OP_LDDW ? 2 : 1;
  }
  // The line count above must agree with the assembler, or the FAULT slot would be wrong.
  if (at !== slot) throw new Error(`oob case: counted ${slot} slots, the assembler made ${at}`);
  return { instructions: out, faultPc };
}

export function mapSpec(
  name: string,
  type: MapTypeName,
  key: number,
  value: number,
  max: number,
  flags = 0,
): MapSpec {
  return {
    name,
    type,
    keySize: key,
    valueSize: value,
    maxEntries: max,
    flags,
    pinning: 'none',
    sectionName: name.startsWith('.') ? name : '.maps',
  };
}

export function asmProgram(
  name: string,
  type: ProgTypeName,
  instructions: readonly Instruction[],
): ProgramSpec {
  return {
    name,
    sectionName: type === 'XDP' ? 'xdp' : 'tc',
    type,
    flags: 0,
    instructions,
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
}

/** The `map: NAME TYPE KEY VALUE MAX [rdonly]` lines of a case (rdonly: BPF_F_RDONLY_PROG). */
export function caseMaps(c: CaseFields): MapSpec[] {
  return c.all('map').map((m) => {
    const [n, t, key, value, max, flag] = m.split(/\s+/);
    return mapSpec(
      n!,
      t as MapTypeName,
      Number(key),
      Number(value),
      Number(max),
      flag === 'rdonly' ? BPF_F_RDONLY_PROG : 0,
    );
  });
}

const objects = new Map<string, CollectionSpec>();
function objectSpec(file: string): CollectionSpec {
  let s = objects.get(file);
  if (s === undefined) {
    s = loadCollectionSpec(new Uint8Array(readFileSync(new URL(file, OOB_DIR))));
    objects.set(file, s);
  }
  return s;
}

/** The 1-based line of `source` (in test/oob/) that holds `FAULT` inside function `fn`. */
function faultLine(source: string, fn: string): number {
  const lines = readFileSync(new URL(source, OOB_DIR), 'utf8').split('\n');
  const start = lines.findIndex((l) => new RegExp(`\\b${fn}\\(`).test(l) && !l.trim().endsWith(';'));
  if (start < 0) throw new Error(`${source}: no function ${fn}`);
  for (let k = start; k < lines.length && !(k > start && lines[k] === '}'); k++)
    if (lines[k]!.includes('FAULT')) return k + 1;
  throw new Error(`${source}: no FAULT line in ${fn}`);
}

function parseCase(file: string, name: string, c: CaseFields): OobCase {
  const { where, asm } = c;
  const one = (key: string, fallback?: string): string => {
    const v = c.one(key) ?? fallback;
    if (v === undefined) throw new Error(`${where}: '${key}:' is missing`);
    return v;
  };
  const type = one('type', 'XDP') as ProgTypeName;
  const maps = caseMaps(c);
  const [region, access] = one('fault').split(/\s+/);
  if (!REGIONS.includes(region as FaultRegion) || (access !== 'read' && access !== 'write'))
    throw new Error(`${where}: fault must be '<${REGIONS.join('|')}> <read|write>'`);
  const entries = c.all('entry').map((e) => {
    const [map, key] = e.split(/\s+/);
    return { map: map!, key: Number(key) };
  });
  const base = {
    name,
    file,
    about: one('about', ''),
    packet: Number(one('packet', '64')),
    meta: Number(one('meta', '0')),
    entries,
    fault: { region: region as FaultRegion, access: access as 'read' | 'write' },
    kernel: one('kernel'),
  };
  if (asm !== undefined) {
    if (c.has('object')) throw new Error(`${where}: both 'object:' and '-- asm'`);
    const { instructions, faultPc } = assembleCase(asm);
    if (faultPc === undefined) throw new Error(`${where}: no '; FAULT' line`);
    const spec: CollectionSpec = {
      programs: [asmProgram(name, type, instructions)],
      maps,
      variables: [],
      license: 'GPL',
    };
    return { ...base, spec, program: name, at: { pc: faultPc } };
  }
  const [object, program] = one('object').split(/\s+/);
  const full = objectSpec(object!);
  const p = full.programs.find((x) => x.name === program);
  if (p === undefined) throw new Error(`${where}: ${object} has no program ${program}`);
  const source = object!.replace(/\.o$/, '.c');
  // The FAULT line is in the program, or in a function it calls (`fault_in:`).
  const fn = one('fault_in', program!);
  return {
    ...base,
    spec: { ...full, programs: [p] },
    program: program!,
    at: { line: faultLine(source, fn), source },
    object: object!,
  };
}

/** Every case of every test/oob/*.oob file, in file then case order. */
export function oobCases(): OobCase[] {
  return readCases(OOB_DIR, '.oob', 'oob', parseCase);
}

/** The test-run input of a case: `packet` bytes (a counting pattern), `meta` bytes of metadata. */
export function runInput(c: Pick<OobCase, 'packet' | 'meta'>): { data: Uint8Array; ctx?: Uint8Array } {
  const data = Uint8Array.from({ length: c.meta + c.packet }, (_, k) => k & 0xff);
  if (c.meta === 0) return { data };
  // struct xdp_md ctx_in (BPF_PROG_TEST_RUN): data = the metadata length, data_end = all bytes;
  // the first `meta` bytes of data_in become the metadata.
  const ctx = new Uint8Array(24);
  const v = new DataView(ctx.buffer);
  v.setUint32(0, c.meta, true);
  v.setUint32(4, c.meta + c.packet, true);
  return { data, ctx };
}
