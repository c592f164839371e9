// `tsbpf prog run OBJ`: loads an object (VM or kernel backend), runs one program over packets
// (a pcap/pcapng capture, a raw packet file, or hex) with BPF_PROG_TEST_RUN semantics, and
// prints each verdict, the output packets and what changed in the maps; on the VM also the
// bpf_trace_printk lines, the ring-buffer records and the perf event samples the runs produced.
// bpftool's keywords (data_in FILE data_out FILE ctx_in FILE repeat N) are accepted beside the
// flags. Long runs show a progress bar on a terminal and stop cleanly on Ctrl-C.

import {
  type Collection,
  ctxKind,
  decodeCtx,
  encodeCtx,
  type LoadedProgram,
  NotSupportedError,
  type TestRunResult,
  TsbpfError,
  VmCollection,
  verdictName,
} from '../../index.js';
import { parse, UsageError, u32Option, usageLine } from '../args.js';
import {
  type CapturedPacket,
  type OutputRecord,
  outputFormat,
  readCapture,
  requirePackets,
  writeCapture,
} from '../capture.js';
import { EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK } from '../exit.js';
import { readBytes, readText } from '../files.js';
import { parseHex, toHex } from '../hex.js';
import { kernelForm, kernelProgramCollection } from '../kernel-objects.js';
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
import { breathe, Interrupt, Progress } from '../progress.js';

export const progRunUsage = `       tsbpf prog run OBJ [--prog NAME] (--data-in FILE | --packet HEX) [--ctx-in FILE]
                     [--repeat N] [--map-init FILE.json] [--data-out FILE] [--format pcap|pcapng|raw]
                     [--backend vm|kernel] [--engine jit|interp] [--target-btf FILE] [--type TYPE]
                     [--strict] [--log-level 1|2] [--json]
       tsbpf prog run OBJ data_in FILE [data_out FILE] [ctx_in FILE] [repeat N]   (bpftool's keywords)
       tsbpf prog run PROG data_in FILE ...   (PROG in the kernel: id N | pinned PATH | name NAME)
  Runs a program of OBJ over each packet of FILE (pcap, pcapng or one raw packet; Ethernet only)
  and prints the verdicts, the output packets and the map changes; on the VM backend also
  bpf_trace_printk lines, ring-buffer records and perf event samples (JSON keys trace, ringbuf,
  perf). --repeat N (a u32, as the kernel's) runs each packet N times. --data-out writes one
  record per input packet with its timestamp (a packet that could not run is an empty record),
  in the format of --format, else of the file's extension (.pcap, .pcapng, .bin/.raw), else of
  the input. Exit status 255 when no packet could run, or with --strict when any could not. A
  program the verifier refuses is not run: its whole log is printed (-d or --log-level 2 for
  every state). --type gives programs whose section does not tell their type one (xdp,
  sched_cls, ...). --map-init changes the maps of this load only.`;

/** bpftool's prog run keywords and the flags they stand for. */
const KEYWORDS: Record<string, string> = {
  data_in: '--data-in',
  data_out: '--data-out',
  ctx_in: '--ctx-in',
  repeat: '--repeat',
};
const KEYWORDS_NOT_SUPPORTED = new Set(['data_size_out', 'ctx_out', 'ctx_size_out']);
/** Options that apply to loading an object, not to a program already in the kernel. */
const OBJECT_ONLY = ['prog', 'map-init', 'backend', 'engine', 'target-btf', 'type', 'log-level'] as const;

/** Rewrites bpftool's `KEYWORD VALUE` pairs (after the object) as the flags parse() knows. */
export function keywordsToFlags(argv: string[], objectFirst = true): string[] {
  const after = objectFirst ? 1 : 0;
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (out.length >= after && KEYWORDS_NOT_SUPPORTED.has(a))
      throw new NotSupportedError(`prog run keyword '${a}'`, 'data_out and ctx_in are supported');
    const flag = out.length >= after ? KEYWORDS[a] : undefined;
    if (flag === undefined) out.push(a);
    else {
      const value = argv[k + 1];
      if (value === undefined) throw new UsageError(`prog run: keyword '${a}' wants a value`);
      out.push(flag, value);
      k++;
    }
  }
  return out;
}

/** Items of one list printed in text form (JSON has them all). */
const TEXT_LIMIT = 32;
/** A slice of repeats lasts about this long, so Ctrl-C and the progress bar are seen. */
const SLICE_MS = 50;

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
      throw new UsageError(`--prog: no program '${name}' (programs: ${[...programs.keys()].join(', ')})`);
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
function ctxInput(bytes: Uint8Array, kind: ReturnType<typeof ctxKind>, path: string): Uint8Array {
  const text = new TextDecoder().decode(bytes).trim();
  if (!text.startsWith('{')) return bytes;
  if (kind === undefined)
    throw new UsageError('--ctx-in: this program type has no context struct tsbpf knows');
  let fields: unknown;
  try {
    fields = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--ctx-in '${path}': not JSON: ${(e as Error).message}`);
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    throw new UsageError(`--ctx-in '${path}': expected an object of ${kind} field names`);
  try {
    return encodeCtx(kind, fields as Record<string, unknown>);
  } catch (e) {
    if (e instanceof TsbpfError) throw new UsageError(`--ctx-in '${path}': ${e.message}`);
    throw e;
  }
}

function packetsFrom(values: Record<string, string | boolean | undefined>): {
  packets: readonly CapturedPacket[];
  format: 'pcap' | 'pcapng' | 'raw';
} {
  if (typeof values['data-in'] === 'string' && typeof values.packet === 'string')
    throw new UsageError('prog run: give --data-in or --packet, not both');
  if (typeof values.packet === 'string') {
    const data = parseHex(values.packet, '--packet');
    return { packets: [{ timestamp: 0n, data, originalLength: data.length }], format: 'raw' };
  }
  if (typeof values['data-in'] !== 'string')
    throw usageLine('prog run', 'a packet: --data-in FILE (or data_in FILE) or --packet HEX');
  return requirePackets(readCapture(values['data-in'], '--data-in'), values['data-in'], '--data-in');
}

/** The outcome of one packet's runs: the last result, or the error that stopped it. */
type PacketRun =
  | { result: TestRunResult; runs: number; durationNs: number }
  | { error: string; runs: number; durationNs: number };

/**
 * Runs one packet `repeat` times in slices of about SLICE_MS, so that a SIGINT (seen between
 * slices) can stop it. Each slice after the first starts from the packet the last one left, as
 * the kernel's repeat loop runs every repeat on the same buffer.
 */
async function runPacket(
  prog: LoadedProgram,
  data: Uint8Array,
  ctx: Uint8Array | undefined,
  repeat: number,
  progress: Progress,
  interrupt: Interrupt,
): Promise<PacketRun> {
  let remaining = Math.max(1, repeat);
  let slice = Math.min(remaining, 64);
  let runs = 0;
  let weighted = 0;
  let input = data;
  let result: TestRunResult | undefined;
  while (remaining > 0 && !interrupt.stopped) {
    const t0 = performance.now();
    try {
      result = prog.run({ data: input, repeat: slice, ...(ctx === undefined ? {} : { ctx }) });
    } catch (e) {
      if (!(e instanceof TsbpfError)) throw e;
      return { error: e.message, runs, durationNs: runs === 0 ? 0 : Math.round(weighted / runs) };
    }
    const ms = performance.now() - t0;
    runs += slice;
    weighted += result.duration * slice;
    remaining -= slice;
    input = result.data;
    progress.advance(slice);
    if (remaining > 0) {
      slice = Math.min(remaining, ms < SLICE_MS / 2 ? slice * 2 : Math.max(1, Math.floor(slice / 2)));
      await breathe();
    }
  }
  return result === undefined
    ? { error: 'interrupted before its first run', runs: 0, durationNs: 0 }
    : { result, runs, durationNs: Math.round(weighted / runs) };
}

export async function progRun(argv: string[], out: Output): Promise<number> {
  const form = kernelForm(argv, 'prog');
  const { values, positionals } = parse(
    'prog run',
    form === undefined ? keywordsToFlags(argv) : keywordsToFlags(form.rest, false),
    {
      prog: { type: 'string' },
      'data-in': { type: 'string' },
      packet: { type: 'string' },
      'ctx-in': { type: 'string' },
      repeat: { type: 'string' },
      'map-init': { type: 'string' },
      'data-out': { type: 'string' },
      format: { type: 'string' },
      backend: { type: 'string' },
      engine: { type: 'string' },
      'target-btf': { type: 'string' },
      type: { type: 'string' },
      strict: { type: 'boolean' },
      'log-level': { type: 'string' },
    },
  );
  if (form !== undefined) {
    for (const o of OBJECT_ONLY)
      if (values[o] !== undefined)
        throw new UsageError(`--${o} is for an object file; not with prog run ${form.label}`);
    if (positionals.length > 0)
      throw usageLine(`prog run ${form.label}`, `no OBJ, got '${positionals.join(' ')}'`);
  }
  const [file = form?.label] = positionals;
  if (file === undefined || positionals.length > 1)
    throw usageLine(
      'prog run',
      `one OBJ, got ${positionals.length === 0 ? 'none' : positionals.map((p) => `'${p}'`).join(' ')}`,
    );
  const engine = engineOption(values.engine);
  const { packets, format: inputFormat } = packetsFrom(values);
  const repeat = u32Option('repeat', values.repeat as string | undefined, 1);
  const backend = form === undefined ? backendOption(values.backend) : 'kernel';
  const level = logLevelOption(values['log-level'], out.debug);
  const dataOut = typeof values['data-out'] === 'string' ? values['data-out'] : undefined;
  const outFormat =
    dataOut === undefined
      ? undefined
      : outputFormat(dataOut, values.format as string | undefined, inputFormat);
  if (dataOut === undefined && values.format !== undefined)
    throw new UsageError('--format: applies to --data-out, which is not given');
  const coll =
    form !== undefined
      ? await kernelProgramCollection(form)
      : await loadObject(file, backend, {
          targetBtf: values['target-btf'] as string | undefined,
          type: progTypeOption(values.type),
          engine,
          logLevel: level,
        });
  try {
    if (typeof values['map-init'] === 'string')
      initMaps(coll, readText(values['map-init'], '--map-init'), values['map-init']);
    const prog = chooseProgram(coll.programs, values.prog as string | undefined);
    const kind = ctxKind(prog.type);
    const ctx =
      typeof values['ctx-in'] === 'string'
        ? ctxInput(readBytes(values['ctx-in'], '--ctx-in'), kind, values['ctx-in'])
        : undefined;
    const vm = prepare(coll);
    const before = new Map<string, Entry[] | undefined>([...coll.maps].map(([n, m]) => [n, dumpMap(m)]));
    const runs: Record<string, unknown>[] = [];
    const records: OutputRecord[] = [];
    const vmProg = vm?.programs.get(prog.name);
    const engineInfo =
      vmProg === undefined
        ? undefined
        : {
            name: vmProg.engineName,
            ...(vmProg.engineReason === undefined ? {} : { reason: vmProg.engineReason }),
            ...(vmProg.compileMs === undefined ? {} : { compile_ms: Number(vmProg.compileMs.toFixed(3)) }),
          };
    // Listening for Ctrl-C before the header: a SIGINT right after it must stop the runs, not kill the process.
    const interrupt = new Interrupt();
    out.text(`${file}: ${prog.name} (${prog.type}) on the ${backend} backend, ${packets.length} packet(s)`);
    if (engineInfo !== undefined)
      out.text(
        `  engine: ${engineInfo.name}${engineInfo.compile_ms === undefined ? '' : ` (compiled in ${engineInfo.compile_ms} ms)`}${engineInfo.reason === undefined ? '' : ` — ${engineInfo.reason}`}`,
      );
    const progress = new Progress(out, packets.length * Math.max(1, repeat), 'runs');
    let failed = 0;
    try {
      for (const [k, packet] of packets.entries()) {
        if (interrupt.stopped) break;
        const data = packet.data;
        const run = await runPacket(prog, data, ctx, repeat, progress, interrupt);
        const partial = run.runs < Math.max(1, repeat) ? { runs: run.runs } : {};
        if ('error' in run) {
          failed++;
          runs.push({ packet: k, error: run.error, ...partial });
          records.push({ timestamp: packet.timestamp, error: run.error, inputLength: data.length });
          progress.finish();
          out.text(`  #${k}: ${data.length} bytes -> error: ${run.error}`);
          continue;
        }
        const { result } = run;
        const verdict = verdictName(prog.type, result.retval);
        const changed = toHex(result.data) !== toHex(data);
        records.push({ timestamp: packet.timestamp, data: result.data });
        runs.push({
          packet: k,
          retval: result.retval,
          verdict,
          data_out: toHex(result.data, ''),
          ...(result.ctx === undefined
            ? {}
            : { ctx_out: kind === undefined ? toHex(result.ctx, '') : decodeCtx(kind, result.ctx) }),
          duration_ns: run.durationNs,
          ...partial,
        });
        const shape = changed ? `${result.data.length} bytes (changed)` : 'unchanged';
        progress.finish();
        out.text(
          `  #${k}: ${data.length} bytes -> ${verdict} (${result.retval}), packet ${shape}${'runs' in partial ? ` (${run.runs} of ${repeat} runs)` : ''}`,
        );
      }
    } finally {
      progress.finish();
      interrupt.dispose();
    }
    const interrupted = interrupt.stopped;
    if (interrupted) out.text(`interrupted: ${runs.length} of ${packets.length} packet(s) run`);
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
    if (dataOut !== undefined && outFormat !== undefined && records.length > 0) {
      writeCapture(dataOut, outFormat, records, '--data-out');
      out.text(`wrote ${records.length} packet(s) to ${dataOut} (${outFormat})`);
    }
    out.data({
      object: file,
      program: prog.name,
      type: prog.type,
      backend,
      ...(engineInfo === undefined ? {} : { engine: engineInfo }),
      runs,
      maps,
      ...emitted,
      ...(dataOut === undefined
        ? {}
        : { data_out: { file: dataOut, format: outFormat, packets: records.length } }),
      ...(interrupted ? { interrupted: true } : {}),
    });
    if (interrupted) return EXIT_INTERRUPTED;
    if (failed > 0 && (failed === packets.length || values.strict === true)) {
      out.io.err(
        `Error: ${failed} of ${packets.length} packet(s) could not be run${failed === packets.length ? '' : ' (--strict)'}\n`,
      );
      return EXIT_ERROR;
    }
    return EXIT_OK;
  } finally {
    coll.close();
  }
}

/** --log-level 1|2 (default 1, 2 with -d): how much of a verifier's refusal to print. */
export function logLevelOption(value: string | boolean | undefined, debug: boolean): 1 | 2 {
  if (value === undefined) return debug ? 2 : 1;
  if (value !== '1' && value !== '2')
    throw new UsageError(`--log-level: expected 1 or 2, got '${String(value)}'`);
  return Number(value) as 1 | 2;
}
