// `tsbpf prog show|load|run|verify OBJ`: the programs of an object. `show` lists them as the spec
// describes them (nothing loaded), `load` loads them on a backend (the verifier's refusal printed
// in full), `run` runs one over packets (prog-run.ts), `verify` runs tsbpf's verifier alone.

import { loadCollectionSpec } from '../../index.js';
import { parse, usageLine } from '../args.js';
import { EXIT_OK } from '../exit.js';
import { readBytes } from '../files.js';
import { backendOption, engineOption, loadObject, progTypeOption } from '../loaded.js';
import type { Output } from '../output.js';
import { logLevelOption, progRun, progRunUsage } from './prog-run.js';
import { progVerify, progVerifyUsage } from './prog-verify.js';

const progLoadUsage = `       tsbpf prog load OBJ [--backend vm|kernel] [--engine jit|interp] [--target-btf FILE]
                     [--type TYPE] [--log-level 1|2] [--json]
  Loads every program of OBJ on a backend as prog run would, and prints what was loaded; a
  refusal prints the verifier's whole log. Nothing stays loaded after the command.`;

export const progUsage = `Usage: tsbpf prog show OBJ [--json]
  Lists the programs of OBJ: name, type, section, instruction count, license and the maps
  each refers to.
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

export async function progCommand(argv: string[], out: Output): Promise<number> {
  const [verb, ...rest] = argv;
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
      throw usageLine('prog', `show, list, load, run, verify or help, got '${verb ?? 'nothing'}'`);
  }
}
