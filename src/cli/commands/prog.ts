// `tsbpf prog show|load|run|verify OBJ`: the programs of an object. `show` lists them as the spec
// describes them (nothing loaded), `load` loads them on a backend (the verifier's refusal printed
// in full), `run` runs one over packets (prog-run.ts), `verify` runs tsbpf's verifier alone.

import { decode, formatInstruction, loadCollectionSpec, NotSupportedError, TsbpfError } from '../../index.js';
import type { KernelProgram } from '../../kernel/index.js';
import { parse, usageLine } from '../args.js';
import { EXIT_OK } from '../exit.js';
import { readBytes } from '../files.js';
import { toHex } from '../hex.js';
import { type KernelForm, kernelForm, kernelModule } from '../kernel-objects.js';
import { backendOption, engineOption, loadObject, progTypeOption } from '../loaded.js';
import type { Output } from '../output.js';
import { logLevelOption, progRun, progRunUsage } from './prog-run.js';
import { progVerify, progVerifyUsage } from './prog-verify.js';

const progLoadUsage = `       tsbpf prog load OBJ [--backend vm|kernel] [--engine jit|interp] [--target-btf FILE]
                     [--type TYPE] [--log-level 1|2] [--json]
  Loads every program of OBJ on a backend as prog run would, and prints what was loaded; a
  refusal prints the verifier's whole log. Nothing stays loaded after the command.`;

export const progUsage = `Usage: tsbpf prog show [OBJ | PROG] [--json]
  Lists the programs of OBJ: name, type, section, instruction count, license and the maps
  each refers to. PROG (a program in the running kernel, as bpftool names it): id N |
  pinned PATH | name NAME; 'prog show' alone lists every program in the kernel.
       tsbpf prog dump xlated PROG
       tsbpf prog pin PROG FILE
${progLoadUsage}
${progRunUsage}
${progVerifyUsage}
       tsbpf prog help`;

/** The maps an instruction list refers to: lddw with a map fd/value/index (not a function). */
const MAP_LDDW_SOURCES = new Set([1, 2, 5, 6]);

/** `prog show OBJ`: the programs of an object as its spec describes them (nothing is loaded). */
function progShow(argv: string[], out: Output): number {
  const { positionals } = parse('prog show', argv, {});
  const [file] = positionals;
  if (file === undefined || positionals.length > 1) throw usageLine('prog show', 'one OBJ');
  const spec = loadCollectionSpec(readBytes(file, 'OBJ'));
  const rows = spec.programs.map((p) => ({
    name: p.name,
    section: p.sectionName,
    type: p.type.toLowerCase(),
    ...(p.attachType === undefined ? {} : { attach_type: p.attachType.toLowerCase() }),
    insns: p.instructions.length,
    license: p.license,
    maps: [
      ...new Set(
        p.instructions.flatMap((i) =>
          i.reference !== undefined && i.op === 0x18 && MAP_LDDW_SOURCES.has(i.src) ? [i.reference] : [],
        ),
      ),
    ],
  }));
  out.data(rows);
  for (const r of rows) {
    out.text(`${r.name}: ${r.type}  section ${r.section}  ${r.insns} insns  license ${r.license}`);
    if (r.maps.length > 0) out.text(`\tmaps ${r.maps.join(', ')}`);
  }
  return EXIT_OK;
}

/** `prog load OBJ`: loads the object on a backend and reports each program; closes it after. */
async function progLoad(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = parse('prog load', argv, {
    backend: { type: 'string' },
    engine: { type: 'string' },
    'target-btf': { type: 'string' },
    type: { type: 'string' },
    'log-level': { type: 'string' },
  });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1) throw usageLine('prog load', 'one OBJ');
  const backend = backendOption(values.backend);
  const coll = await loadObject(file, backend, {
    targetBtf: values['target-btf'] as string | undefined,
    type: progTypeOption(values.type),
    engine: engineOption(values.engine),
    logLevel: logLevelOption(values['log-level'], out.debug),
  });
  try {
    const rows = [...coll.programs.values()].map((p) => ({ name: p.name, type: p.type.toLowerCase() }));
    out.data({ object: file, backend, programs: rows, maps: [...coll.maps.keys()] });
    out.text(`${file}: loaded on the ${backend} backend (released when the command ends)`);
    for (const r of rows) out.text(`  ${r.name}: ${r.type}`);
    return EXIT_OK;
  } finally {
    coll.close();
  }
}

/** bpftool's `prog show -j` of a program in the kernel. */
async function kernelProgShow(prog: KernelProgram) {
  const { programDetails } = await import('../../kernel/index.js');
  const d = programDetails(prog.fd);
  const { kernelClock } = await import('../../kernel/index.js');
  // load_time is CLOCK_BOOTTIME; bpftool prints it as wall-clock seconds.
  const bootNs = kernelClock().ns('boottime');
  const loadedAt = Math.floor((Date.now() * 1e6 - Number(bootNs - d.loadTimeNs)) / 1e9);
  return {
    id: d.id,
    type: d.type.toLowerCase(),
    name: d.name,
    tag: d.tag,
    gpl_compatible: d.gplCompatible,
    loaded_at: loadedAt,
    uid: d.uid,
    bytes_xlated: d.bytesXlated,
    jited: d.bytesJited > 0,
    bytes_jited: d.bytesJited,
    ...(d.memlock === undefined ? {} : { bytes_memlock: d.memlock }),
    ...(d.mapIds.length === 0 ? {} : { map_ids: d.mapIds }),
    ...(d.btfId === 0 ? {} : { btf_id: d.btfId }),
  };
}

function printKernelShow(out: Output, r: Awaited<ReturnType<typeof kernelProgShow>>): void {
  out.text(`${r.id}: ${r.type}  name ${r.name}  tag ${r.tag}${r.gpl_compatible ? '  gpl' : ''}`);
  out.text(`\tloaded_at ${new Date(r.loaded_at * 1000).toISOString()}  uid ${r.uid}`);
  const maps = r.map_ids === undefined ? '' : `  map_ids ${r.map_ids.join(',')}`;
  const memlock = r.bytes_memlock === undefined ? '' : `  memlock ${r.bytes_memlock}B`;
  out.text(`\txlated ${r.bytes_xlated}B  jited ${r.bytes_jited}B${memlock}${maps}`);
  if (r.btf_id !== undefined) out.text(`\tbtf_id ${r.btf_id}`);
}

/** `prog show|dump|pin id N | pinned PATH | name NAME`: a program in the running kernel. */
async function kernelProg(verb: string, form: KernelForm, out: Output): Promise<number> {
  const kernel = await kernelModule(`prog ${verb} ${form.label}`);
  const prog = kernel.openProgram(form.ref);
  try {
    if (verb === 'pin') {
      const [path, ...extra] = form.rest;
      if (path === undefined || extra.length > 0) throw usageLine('prog pin', 'PROG FILE');
      prog.pin(path);
      out.data(null);
      out.text(`pinned program ${prog.id} at ${path}`);
      return EXIT_OK;
    }
    if (form.rest.length > 0)
      throw usageLine(`prog ${verb}`, `nothing after the program, got '${form.rest.join(' ')}'`);
    if (verb === 'show' || verb === 'list') {
      const row = await kernelProgShow(prog);
      out.data(row);
      printKernelShow(out, row);
      return EXIT_OK;
    }
    // dump xlated: the instructions as the verifier left them, in the verifier log's style. One
    // at a time: the kernel's own rewrites (a mov with off -1 for a per-CPU address) are forms
    // the ISA reserves, so decode refuses them; they print as their bytes.
    const bytes = prog.xlated();
    const rows: { pc: number; disasm: string }[] = [];
    for (let at = 0; at < bytes.length; ) {
      const size = bytes[at] === 0x18 ? 16 : 8;
      const slot = bytes.subarray(at, at + size);
      let disasm: string;
      try {
        disasm = formatInstruction(decode(slot, { strict: false })[0]!, at / 8, { numbers: 'kernel' });
      } catch (e) {
        if (!(e instanceof TsbpfError)) throw e;
        disasm = `(${toHex(slot.subarray(0, 1), '')}) kernel-internal ${toHex(slot)}`;
      }
      rows.push({ pc: at / 8, disasm });
      at += size;
    }
    out.data(rows);
    for (const r of rows) out.text(`${String(r.pc).padStart(4)}: ${r.disasm}`);
    return EXIT_OK;
  } finally {
    prog.close();
  }
}

/** `prog show` alone: every program in the kernel, as bpftool lists them. */
async function kernelProgList(out: Output): Promise<number> {
  const kernel = await kernelModule('prog show');
  const { objectIds } = await import('../../kernel/index.js');
  const rows = [];
  for (const id of objectIds('program')) {
    let prog: KernelProgram;
    try {
      prog = kernel.openProgram({ id });
    } catch {
      continue; // gone since the walk saw it, or a type tsbpf does not name
    }
    try {
      rows.push(await kernelProgShow(prog));
    } finally {
      prog.close();
    }
  }
  out.data(rows);
  for (const r of rows) printKernelShow(out, r);
  return EXIT_OK;
}

export async function progCommand(argv: string[], out: Output): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === 'dump') {
    const [kind, ...what] = rest;
    if (kind === 'jited')
      throw new NotSupportedError('prog dump jited', 'prog dump xlated prints the instructions');
    if (kind !== 'xlated') throw usageLine('prog dump', `xlated PROG, got '${kind ?? 'nothing'}'`);
    const form = kernelForm(what, 'prog');
    if (form === undefined)
      throw usageLine(
        'prog dump xlated',
        "PROG as id N, pinned PATH or name NAME (an object file: 'tsbpf disasm')",
      );
    return kernelProg('dump', form, out);
  }
  if (verb === 'show' || verb === 'list' || verb === 'pin') {
    const form = kernelForm(rest, 'prog');
    if (form !== undefined) return kernelProg(verb, form, out);
    if (verb === 'pin') throw usageLine('prog pin', 'PROG as id N, pinned PATH or name NAME, then FILE');
    if (rest.length === 0) return kernelProgList(out);
  }
  switch (verb) {
    case 'show':
    case 'list':
      return progShow(rest, out);
    case 'load':
      return progLoad(rest, out);
    case 'run':
      return progRun(rest, out);
    case 'verify':
      return progVerify(rest, out);
    default:
      throw usageLine('prog', `show, list, dump, pin, load, run, verify or help, got '${verb ?? 'nothing'}'`);
  }
}
