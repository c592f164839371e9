// loadKernel: a whole CollectionSpec (from elf/ or built by hand) into the kernel — BTF, then
// maps, then programs with their map references bound to fds, then prog-array and map-in-map
// slots. The KernelCollection owns every fd; it must stay open while tail calls are wanted (a
// PROG_ARRAY is emptied when its last user-space fd closes). Attaching (links) is not here.

import type { Btf } from '../btf/types.js';
import {
  BpfError,
  ClosedError,
  Errno,
  LoadError,
  NotSupportedError,
  TsbpfError,
  VerifierError,
} from '../errors.js';
import {
  applySpecOptions,
  type CollectionSpec,
  type MapSpec,
  type ProgramSpec,
  replacementMismatch,
  type SpecLoadOptions,
  unknownTypeFeature,
} from '../program/index.js';
import type { Collection } from '../runtime/backend.js';
import { kernelObjName } from './attr.js';
import { type KernelBtf, loadBtf } from './btf.js';
import { BtfStringTable, programBtfInfo } from './btf-info.js';
import { explainingPoison, relocateForKernel } from './co-re.js';
import { CollectionMap, CollectionProgram } from './collection-handles.js';
import { kernelFuncId } from './kfunc-ids.js';
import type { KernelMap } from './map.js';
import { openPinnedMaps, pinNewMaps } from './pinned-maps.js';
import { adoptPinnedPrograms, type ProgramPins, pinPrograms } from './pinned-programs.js';
import { type KernelProgram, type LoadProgramOptions, loadProgram } from './program.js';
import { bindKfuncCalls, bindMapReferences } from './relocate.js';
import { createSpecMap, defaultMaxEntries } from './spec-map.js';

/**
 * Options of loadKernel: those both backends share (SpecLoadOptions: `programs`,
 * `programOverrides`, `mapOverrides`, `variables`) and the kernel's own.
 */
export interface LoadKernelOptions extends SpecLoadOptions {
  /** Verifier log level for every program; the logs are kept in CollectionProgram.log. */
  readonly logLevel?: number;
  /** Initial verifier log size in bytes. */
  readonly logSize?: number;
  /** Existing maps used instead of creating those names; the collection does not close them. */
  readonly mapReplacements?: Readonly<Record<string, KernelMap>>;
  /** false: load no BTF (maps without key/value types, programs without func/line info). */
  readonly btf?: boolean;
  /**
   * The BTF CO-RE relocations are resolved against (libbpf's btf_custom_path). Default: the
   * running kernel's, /sys/kernel/btf/vmlinux, read only when some program has CO-RE relocations.
   */
  readonly targetBtf?: Btf;
  /**
   * A directory in a mounted bpffs for the maps declared `pinning = LIBBPF_PIN_BY_NAME`: each is
   * reused from `<pinPath>/<name>` when pinned there and compatible (else LoadError naming the
   * differences), or created and pinned there once the load succeeds. Without it they are not
   * pinned (a note says so).
   */
  readonly pinPath?: string;
  /**
   * Programs pinned too, at `<pinPath>/prog-<name>` (needs pinPath). 'adopt': when every map was
   * reused from its pin and every program is pinned, the pinned programs are used as they are
   * (nothing loaded, nothing verified: what a restarted controller takes over); else they are
   * loaded and pinned. 'replace': always loaded, and the pins replaced (an upgrade).
   */
  readonly programPins?: ProgramPins;
}

export class KernelCollection implements Collection {
  readonly #programs: ReadonlyMap<string, CollectionProgram>;
  readonly #maps: ReadonlyMap<string, CollectionMap>;
  readonly #btf: KernelBtf | undefined;
  readonly spec: CollectionSpec;
  /** Fallbacks taken while loading (BTF refused, map created without BTF, func/line info dropped). */
  readonly notes: readonly string[];
  #closed = false;

  /** @internal use loadKernel(). */
  constructor(
    spec: CollectionSpec,
    programs: ReadonlyMap<string, CollectionProgram>,
    maps: ReadonlyMap<string, CollectionMap>,
    btf: KernelBtf | undefined,
    notes: readonly string[],
  ) {
    this.spec = spec;
    this.#programs = programs;
    this.#maps = maps;
    this.#btf = btf;
    this.notes = notes;
  }

  get programs(): ReadonlyMap<string, CollectionProgram> {
    this.#check();
    return this.#programs;
  }

  get maps(): ReadonlyMap<string, CollectionMap> {
    this.#check();
    return this.#maps;
  }

  /** The loaded BTF, or undefined when the spec had none or the kernel refused it (see notes). */
  get btf(): KernelBtf | undefined {
    this.#check();
    return this.#btf;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The program `name`; throws INVALID_ARGUMENT naming the ones there are. */
  program(name: string): CollectionProgram {
    const p = this.programs.get(name);
    if (p === undefined) throw missing('program', name, this.#programs.keys());
    return p;
  }

  map(name: string): CollectionMap {
    const m = this.maps.get(name);
    if (m === undefined) throw missing('map', name, this.#maps.keys());
    return m;
  }

  /** The current bytes of global variable `name` (read from its data map, key 0). */
  readVariable(name: string): Uint8Array {
    const v = this.spec.variables.find((x) => x.name === name);
    if (v === undefined) throw missing('variable', name, this.spec.variables.map((x) => x.name).values());
    const value = this.map(v.map).lookup(new Uint8Array(4));
    if (value === undefined)
      throw new BpfError('BPF_MAP_LOOKUP_ELEM', Errno.ENOENT, {
        subject: `map ${v.map}`,
        reason: 'key 0 is missing',
      });
    return value.slice(v.offset, v.offset + v.size);
  }

  /** Closes every program, owned map and the BTF; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeAll([
      ...this.#programs.values(),
      ...this.#maps.values(),
      ...(this.#btf === undefined ? [] : [this.#btf]),
    ]);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #check(): void {
    if (this.#closed) throw new ClosedError('collection');
  }
}

/**
 * Loads `input` into the kernel, after applying its CO-RE relocations (against `targetBtf` or
 * the kernel's BTF; poisoned ones are listed in notes). Throws VerifierError (with the log, and source lines when BTF line
 * info was passed) if a program is refused, BpfError for refused maps, NotSupportedError for
 * programs of an unknown section type; whatever was created before a failure is closed again.
 */
export function loadKernel(input: CollectionSpec, options: LoadKernelOptions = {}): KernelCollection {
  // The shared loader options first (subset, types, map sizes, variables), then CO-RE: the spec
  // that is loaded (and kept as .spec) is the relocated one.
  const core = relocateForKernel(applySpecOptions(input, options), options.targetBtf);
  const spec = core.spec;
  const names = spec.maps.map((m) => m.name);
  for (const name of Object.keys(options.mapReplacements ?? {})) {
    if (!names.includes(name)) throw missing('map', name, names);
  }
  const notes: string[] = [...core.notes];
  const opened: { close(): void }[] = [];
  try {
    let btf: KernelBtf | undefined;
    if (spec.btf !== undefined && options.btf !== false) {
      try {
        btf = loadBtf(spec.btf.raw);
        opened.push(btf);
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        notes.push(`BTF not loaded, continuing without (${e.message})`);
      }
    }

    // mapOverrides are already in `spec` (applySpecOptions).
    const pins = openPinnedMaps(
      spec.maps.filter((m) => options.mapReplacements?.[m.name] === undefined),
      options.pinPath,
      (m) => ({ maxEntries: defaultMaxEntries(m), flags: m.flags }),
      notes,
    );
    opened.push(...pins.reused.values());
    const maps = new Map<string, CollectionMap>();
    for (const m of spec.maps) {
      const replacement = options.mapReplacements?.[m.name];
      const pinnedMap = pins.reused.get(m.name);
      let handle: CollectionMap;
      if (replacement !== undefined) {
        const why = replacementMismatch(m, replacement);
        if (why !== undefined) throw new LoadError('LOAD_ERROR', `mapReplacements.${m.name}: ${why}`);
        handle = new CollectionMap(m, replacement, false);
      } else if (pinnedMap !== undefined) {
        handle = new CollectionMap(m, pinnedMap, true);
      } else {
        const km = createSpecMap(m, { ...(btf === undefined ? {} : { btfFd: btf.fd }), notes });
        handle = new CollectionMap(m, km, true);
      }
      opened.push(handle);
      maps.set(m.name, handle);
    }

    const pinPath = programPinsPath(options);
    const adopted =
      pinPath !== undefined && options.programPins === 'adopt'
        ? adoptPinnedPrograms(spec.programs, pinPath, pins.reused.size === spec.maps.length, notes)
        : undefined;
    if (adopted !== undefined) opened.push(...adopted.values());
    const strings = btf === undefined || spec.btf === undefined ? undefined : new BtfStringTable(spec.btf);
    const programs = new Map<string, CollectionProgram>();
    for (const p of spec.programs) {
      const kp =
        adopted?.get(p.name) ??
        explainingPoison(p.name, core.poisoned, () =>
          loadSpecProgram(p, spec, maps, options, notes, btf, strings),
        );
      const handle = new CollectionProgram(p, kp);
      opened.push(handle);
      programs.set(p.name, handle);
    }

    // Adopted programs came with their maps, whose slots are filled already.
    if (adopted === undefined) for (const m of spec.maps) fillSlots(m, maps, programs);
    pinNewMaps(pins, maps);
    if (pinPath !== undefined && adopted === undefined) pinPrograms(pinPath, programs);
    return new KernelCollection(spec, programs, maps, btf, notes);
  } catch (e) {
    try {
      closeAll(opened.reverse());
    } catch {
      // The load error is the one to report.
    }
    throw e;
  }
}

/** The pinPath programs are pinned under, when programPins asks for it (which needs a pinPath). */
function programPinsPath(options: LoadKernelOptions): string | undefined {
  if (options.programPins === undefined) return undefined;
  if (options.programPins !== 'adopt' && options.programPins !== 'replace')
    throw new TsbpfError(
      'INVALID_ARGUMENT',
      `programPins is 'adopt' or 'replace', not '${String(options.programPins)}'`,
    );
  if (options.pinPath === undefined) throw new TsbpfError('INVALID_ARGUMENT', 'programPins needs a pinPath');
  return options.pinPath;
}

function loadSpecProgram(
  p: ProgramSpec,
  spec: CollectionSpec,
  maps: ReadonlyMap<string, CollectionMap>,
  options: LoadKernelOptions,
  notes: string[],
  btf: KernelBtf | undefined,
  strings: BtfStringTable | undefined,
): KernelProgram {
  if (p.type === 'UNSPEC') {
    throw new NotSupportedError(unknownTypeFeature(p), `program ${p.name}`);
  }
  const kernelVersion = p.kernelVersion ?? spec.version;
  const base: LoadProgramOptions = {
    type: p.type,
    insns: bindKfuncCalls(
      p,
      bindMapReferences(p, (name) => maps.get(name)?.fd),
      kernelFuncId,
    ),
    license: p.license === '' ? spec.license : p.license,
    name: kernelObjName(p.name),
    flags: p.flags,
    ...(p.attachType === undefined ? {} : { expectedAttachType: p.attachType }),
    ...(kernelVersion === undefined ? {} : { kernelVersion }),
    ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
    ...(options.logSize === undefined ? {} : { logSize: options.logSize }),
  };
  if (btf === undefined || strings === undefined || (p.funcInfo.length === 0 && p.lineInfo.length === 0)) {
    return loadProgram(base);
  }
  try {
    return loadProgram({ ...base, btf: programBtfInfo(p, btf.fd, strings) });
  } catch (first) {
    // The verifier ran (its log shows source lines, or it walked instructions — a program with
    // func_info and no line info shows none): the program itself is refused. Retrying without
    // func_info would only hide the reason behind "missing btf func_info".
    if (first instanceof VerifierError && /^; |^processed [1-9]/m.test(first.log)) throw first;
    if (!(first instanceof BpfError || first instanceof VerifierError || first instanceof LoadError)) {
      throw first;
    }
    // Otherwise the kernel may have refused the func/line info; try once without (libbpf drops it too).
    const prog = loadProgram(base);
    notes.push(`program ${p.name}: loaded without func_info/line_info (${first.message})`);
    return prog;
  }
}

/** Puts program fds into prog arrays and map fds into map-in-maps, slot by slot. */
function fillSlots(
  m: MapSpec,
  maps: ReadonlyMap<string, CollectionMap>,
  programs: ReadonlyMap<string, CollectionProgram>,
): void {
  const c = m.contents;
  if (c === undefined || c.kind === 'data') return;
  if (m.keySize !== 4 || m.valueSize !== 4) {
    throw new LoadError('LOAD_ERROR', `map ${m.name}: initial slots need 4-byte keys and values`);
  }
  const target = maps.get(m.name)!;
  const slots: { index: number; fd: number; what: string }[] =
    c.kind === 'programs'
      ? c.slots.map((s) => ({ index: s.index, fd: fdOf(programs, s.program, 'program', m), what: s.program }))
      : c.slots.map((s) => ({ index: s.index, fd: fdOf(maps, s.map, 'map', m), what: s.map }));
  for (const s of slots) {
    const key = new Uint8Array(4);
    const value = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, s.index, true);
    new DataView(value.buffer).setUint32(0, s.fd, true);
    try {
      target.update(key, value);
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      throw new LoadError('LOAD_ERROR', `map ${m.name}: slot ${s.index} <- ${s.what}: ${e.message}`, {
        cause: e,
      });
    }
  }
}

function fdOf(
  from: ReadonlyMap<string, { readonly fd: number }>,
  name: string,
  what: string,
  m: MapSpec,
): number {
  const h = from.get(name);
  if (h === undefined)
    throw new LoadError('LOAD_ERROR', `map ${m.name}: slot refers to unknown ${what} '${name}'`);
  return h.fd;
}

function closeAll(handles: readonly { close(): void }[]): void {
  let failure: unknown;
  for (const h of handles) {
    try {
      h.close();
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure !== undefined) throw failure;
}

function missing(what: string, name: string, known: Iterable<string>): TsbpfError {
  const list = [...known];
  return new TsbpfError(
    'INVALID_ARGUMENT',
    `no ${what} '${name}' in the collection (there ${list.length === 1 ? 'is' : 'are'}: ${list.join(', ') || 'none'})`,
  );
}
