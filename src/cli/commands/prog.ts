// `tsbpf prog run OBJ`: loads an object (VM or kernel backend), runs one program over packets
// (a pcap file, a raw packet file, or hex) with BPF_PROG_TEST_RUN semantics, and prints each
// verdict, the output packets and what changed in the maps; on the VM also the bpf_trace_printk
// lines, the ring-buffer records and the perf event samples the runs produced.

import { readFileSync, writeFileSync } from 'node:fs';
import {
  type Collection,
  ctxKind,
  decodeCtx,
  encodeCtx,
  type LoadedProgram,
  loadCollectionSpec,
  type TestRunResult,
  VmCollection,
  verdictName,
} from '../../index.js';
import { isPcap, readPcap, writePcap } from '../../net/index.js';
import { intOption, parse, UsageError } from '../args.js';
import { parseHex, toHex } from '../hex.js';
import { readBytes } from '../input.js';
import {
  backendOption,
  diffDumps,
  dumpMap,
  type Entry,
  engineOption,
  initMaps,
  loadObject,
  type MapChange,
  progTypeOption,
} from '../loaded.js';
import type { Output } from '../output.js';
import { progVerify, progVerifyUsage } from './prog-verify.js';

export const progUsage = `Usage: tsbpf prog show OBJ
       tsbpf prog run OBJ [--prog NAME] (--data-in FILE | --packet HEX) [--ctx-in FILE.json]
                     [--repeat N] [--map-init FILE.json] [--data-out FILE] [--backend vm|kernel] [--engine jit|interp]
                     [--target-btf FILE] [--type TYPE] [--json]
  Runs a program of OBJ over each packet of FILE (pcap or raw bytes) and prints the verdicts,
  the output packets and the map changes; on the VM backend also bpf_trace_printk lines,
  ring-buffer records and perf event samples (JSON keys trace, ringbuf, perf). A program the
  verifier refuses is not run: the refusal is printed with its explanation. --type gives
  programs whose section does not tell their type one (xdp, sched_cls, ...); without it they
  are refused at load.
${progVerifyUsage}`;

/** Items of one list printed in text form (JSON has them all). */
const TEXT_LIMIT = 32;

/** What the programs sent to user space during the runs (VM only; the kernel backend has none yet). */
interface Emitted {
  readonly trace: string[];
  /** Ring-buffer records by map, hex. */
  readonly ringbuf: Record<string, string[]>;
  /** Perf event records by map: a sample's CPU and raw data (hex, padded as libbpf sees it), or a lost count. */
  readonly perf: Record<string, ({ cpu: number; data: string } | { cpu: number; lost: number })[]>;
}

function collectEmitted(coll: VmCollection): Emitted {
  const ringbuf: Emitted['ringbuf'] = {};
  for (const [name, records] of coll.consumeRingBuf()) ringbuf[name] = records.map((r) => toHex(r, ''));
  const perf: Emitted['perf'] = {};
  for (const [name, records] of coll.consumePerf()) {
    perf[name] = records.map((r) =>
      r.type === 'sample' ? { cpu: r.cpu, data: toHex(r.data, '') } : { cpu: r.cpu, lost: r.lost },
    );
  }
  return { trace: [...coll.trace], ringbuf, perf };
}

function printList(out: Output, title: string, noun: string, lines: readonly string[]): void {
  out.text(`${title}: ${lines.length} ${noun}${lines.length === 1 ? '' : 's'}`);
  for (const l of lines.slice(0, TEXT_LIMIT)) out.text(`  ${l}`);
  if (lines.length > TEXT_LIMIT) out.text(`  ... ${lines.length - TEXT_LIMIT} more (--json has all)`);
}

function printEmitted(out: Output, e: Emitted): void {
  if (e.trace.length > 0) printList(out, 'trace', 'line', e.trace);
  for (const [name, records] of Object.entries(e.ringbuf)) {
    if (records.length === 0) continue;
    printList(
      out,
      `ringbuf ${name}`,
      'record',
      records.map((r) => `${r.length / 2} bytes: ${r}`),
    );
  }
  for (const [name, records] of Object.entries(e.perf)) {
    printList(
      out,
      `perf ${name}`,
      'record',
      records.map((r) =>
        'lost' in r ? `cpu ${r.cpu}: lost ${r.lost}` : `cpu ${r.cpu}: ${r.data.length / 2} bytes: ${r.data}`,
      ),
    );
  }
}

/** Opens the perf buffers of a VM collection so samples are kept (perf_buffer__new on each map). */
function prepare(coll: Collection): VmCollection | undefined {
  if (!(coll instanceof VmCollection)) return undefined;
  coll.openPerfBuffers();
  return coll;
}

function chooseProgram(
  programs: ReadonlyMap<string, LoadedProgram>,
  name: string | undefined,
): LoadedProgram {
  if (name !== undefined) {
    const p = programs.get(name);
    if (p === undefined)
      throw new UsageError(`no program '${name}' (programs: ${[...programs.keys()].join(', ')})`);
    return p;
  }
  if (programs.size !== 1)
    throw new UsageError(
      `the object has ${programs.size} programs; choose one with --prog (${[...programs.keys()].join(', ')})`,
    );
  return [...programs.values()][0]!;
}

/** bpftool's ["0x01", "0x02"] as "0102", for text output. */
function compact(bytes: string[] | undefined): string | undefined {
  return bytes?.map((b) => b.slice(2)).join('');
}

/** --ctx-in: a JSON object of field names (for the program type's struct), or raw bytes. */
function ctxInput(bytes: Uint8Array, kind: ReturnType<typeof ctxKind>): Uint8Array {
  const text = new TextDecoder().decode(bytes).trim();
  if (!text.startsWith('{')) return bytes;
  if (kind === undefined)
    throw new UsageError('--ctx-in: this program type has no context struct tsbpf knows');
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`--ctx-in: not JSON: ${(e as Error).message}`);
  }
  return encodeCtx(kind, fields);
}

function packetsFrom(values: Record<string, string | boolean | undefined>): Uint8Array[] {
  if (typeof values['data-in'] === 'string' && typeof values.packet === 'string')
    throw new UsageError('give --data-in or --packet, not both');
  if (typeof values.packet === 'string') return [parseHex(values.packet, '--packet')];
  if (typeof values['data-in'] !== 'string') throw new UsageError(progUsage);
  const bytes = readBytes(values['data-in']);
  return isPcap(bytes) ? readPcap(bytes).packets.map((p) => p.data) : [bytes];
}

/** `prog show OBJ`: the programs of an object as its spec describes them (nothing is loaded). */
function progShow(argv: string[], out: Output): number {
  const { positionals } = parse('prog show', argv, {});
  const [file] = positionals;
  if (file === undefined || positionals.length > 1) throw new UsageError(progUsage);
  const spec = loadCollectionSpec(readBytes(file));
  const rows = spec.programs.map((p) => ({
    name: p.name,
    section: p.sectionName,
    type: p.type.toLowerCase(),
    ...(p.attachType === undefined ? {} : { attach_type: p.attachType.toLowerCase() }),
    insns: p.instructions.length,
    license: p.license,
    maps: [
      ...new Set(
        p.instructions.flatMap((i) => (i.reference !== undefined && i.src !== 4 ? [i.reference] : [])),
      ),
    ],
  }));
  out.data(rows);
  for (const r of rows) {
    out.text(`${r.name}: ${r.type}  section ${r.section}  ${r.insns} insns  license ${r.license}`);
    if (r.maps.length > 0) out.text(`\tmaps ${r.maps.join(', ')}`);
  }
  return 0;
}

export async function progCommand(argv: string[], out: Output): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === 'show' || verb === 'list') return progShow(rest, out);
  if (verb === 'verify') return progVerify(rest, out);
  if (verb !== 'run') throw new UsageError(progUsage);
  const { values, positionals } = parse('prog run', rest, {
    prog: { type: 'string' },
    'data-in': { type: 'string' },
    packet: { type: 'string' },
    'ctx-in': { type: 'string' },
    repeat: { type: 'string' },
    'map-init': { type: 'string' },
    'data-out': { type: 'string' },
    backend: { type: 'string' },
    engine: { type: 'string' },
    'target-btf': { type: 'string' },
    type: { type: 'string' },
  });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1) throw new UsageError(progUsage);
  const engine = engineOption(values.engine);
  const packets = packetsFrom(values);
  const repeat = intOption('repeat', values.repeat as string | undefined, 1);
  const backend = backendOption(values.backend);
  const coll = await loadObject(file, backend, {
    targetBtf: values['target-btf'] as string | undefined,
    type: progTypeOption(values.type),
    engine,
  });
  try {
    if (typeof values['map-init'] === 'string') initMaps(coll, readFileSync(values['map-init'], 'utf8'));
    const prog = chooseProgram(coll.programs, values.prog as string | undefined);
    const kind = ctxKind(prog.type);
    const ctx =
      typeof values['ctx-in'] === 'string' ? ctxInput(readBytes(values['ctx-in']), kind) : undefined;
    const vm = prepare(coll);
    const before = new Map<string, Entry[] | undefined>([...coll.maps].map(([n, m]) => [n, dumpMap(m)]));
    const runs: Record<string, unknown>[] = [];
    const outputs: Uint8Array[] = [];
    const vmProg = vm?.programs.get(prog.name);
    const engineInfo =
      vmProg === undefined
        ? undefined
        : {
            name: vmProg.engineName,
            ...(vmProg.engineReason === undefined ? {} : { reason: vmProg.engineReason }),
            ...(vmProg.compileMs === undefined ? {} : { compile_ms: Number(vmProg.compileMs.toFixed(3)) }),
          };
    out.text(`${file}: ${prog.name} (${prog.type}) on the ${backend} backend, ${packets.length} packet(s)`);
    if (engineInfo !== undefined)
      out.text(
        `  engine: ${engineInfo.name}${engineInfo.compile_ms === undefined ? '' : ` (compiled in ${engineInfo.compile_ms} ms)`}${engineInfo.reason === undefined ? '' : ` — ${engineInfo.reason}`}`,
      );
    packets.forEach((data, k) => {
      let result: TestRunResult;
      try {
        result = prog.run({ data, repeat, ...(ctx === undefined ? {} : { ctx }) });
      } catch (e) {
        const message = (e as Error).message;
        runs.push({ packet: k, error: message });
        out.text(`  #${k}: ${data.length} bytes -> error: ${message}`);
        return;
      }
      const verdict = verdictName(prog.type, result.retval);
      const changed = toHex(result.data) !== toHex(data);
      outputs.push(result.data);
      runs.push({
        packet: k,
        retval: result.retval,
        verdict,
        data_out: toHex(result.data, ''),
        ...(result.ctx === undefined
          ? {}
          : { ctx_out: kind === undefined ? toHex(result.ctx, '') : decodeCtx(kind, result.ctx) }),
        duration_ns: result.duration,
      });
      const shape = changed ? `${result.data.length} bytes (changed)` : 'unchanged';
      out.text(`  #${k}: ${data.length} bytes -> ${verdict} (${result.retval}), packet ${shape}`);
    });
    const maps: Record<string, MapChange[]> = {};
    for (const [name, map] of coll.maps) {
      const was = before.get(name);
      const now = dumpMap(map);
      if (was === undefined || now === undefined) continue;
      const changes = diffDumps(was, now);
      if (changes.length > 0) maps[name] = changes;
    }
    for (const [name, changes] of Object.entries(maps)) {
      out.text(`map ${name}: ${changes.length} entr${changes.length === 1 ? 'y' : 'ies'} changed`);
      for (const c of changes.slice(0, 16)) {
        out.text(
          `  key ${compact(c.key)}: ${compact(c.before) ?? '(new)'} -> ${compact(c.after) ?? '(deleted)'}`,
        );
      }
    }
    const emitted = vm === undefined ? undefined : collectEmitted(vm);
    if (emitted !== undefined) printEmitted(out, emitted);
    out.data({
      object: file,
      program: prog.name,
      type: prog.type,
      backend,
      ...(engineInfo === undefined ? {} : { engine: engineInfo }),
      runs,
      maps,
      ...emitted,
    });
    if (typeof values['data-out'] === 'string') {
      const bytes =
        packets.length === 1 && outputs.length === 1
          ? outputs[0]!
          : writePcap(outputs.map((d) => ({ timestamp: 0n, data: d, originalLength: d.length })));
      writeFileSync(values['data-out'], bytes);
    }
    return 0;
  } finally {
    coll.close();
  }
}
