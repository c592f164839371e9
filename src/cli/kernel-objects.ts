// Programs and maps already in the running kernel, named as bpftool names them: `id N`,
// `pinned PATH`, `name NAME` (the PROG and MAP forms of bpftool's grammar), beside tsbpf's own
// OBJ form (an object file loaded for the command). Opened through the kernel backend's
// openProgram/openMap; what `show` prints comes from object-details.ts in bpftool's JSON shape.

import type { Collection, LoadedMap, LoadedProgram, MapSpec } from '../index.js';
import { NotSupportedError } from '../index.js';
import type { KernelMap, KernelProgram, ObjectRef } from '../kernel/index.js';
import { UsageError } from './args.js';

/** A PROG or MAP form at the head of a command's words: the reference and what follows it. */
export interface KernelForm {
  readonly ref: ObjectRef;
  /** How the user wrote it, for messages: `id 42`, `pinned /sys/fs/bpf/x`, `name counts`. */
  readonly label: string;
  readonly rest: string[];
}

/**
 * Reads `id N` / `pinned PATH` / `name NAME` from the head of `words`; undefined when the first
 * word is none of them (it is then an object file). bpftool's `tag TAG` is refused by name.
 */
export function kernelForm(words: readonly string[], what: 'prog' | 'map'): KernelForm | undefined {
  const [form, value, ...rest] = words;
  if (form !== 'id' && form !== 'pinned' && form !== 'name' && form !== 'tag') return undefined;
  if (value === undefined) throw new UsageError(`${what} ${form}: expected a value after '${form}'`);
  const label = `${form} ${value}`;
  if (form === 'tag')
    throw new NotSupportedError(`${what} ${label}: naming a program by tag`, 'use id, pinned or name');
  if (form === 'id') {
    const id = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(id) || id < 1 || id > 0xffffffff)
      throw new UsageError(`${what} id: expected a positive u32, got '${value}'`);
    return { ref: { id }, label, rest };
  }
  return { ref: form === 'pinned' ? { pinned: value } : { name: value }, label, rest };
}

/** The kernel backend's module, or a NotSupportedError saying why bpf() cannot be used here. */
export async function kernelModule(what: string): Promise<typeof import('../kernel/index.js')> {
  const kernel = await import('../kernel/index.js');
  const available = kernel.bpfAvailability();
  if (!available.ok) throw new NotSupportedError(`${what} (a kernel object)`, available.reason);
  return kernel;
}

/** A MapSpec for a map the process did not load: what its info says. */
function specOf(map: KernelMap): MapSpec {
  return {
    name: map.name,
    type: map.type,
    keySize: map.keySize,
    valueSize: map.valueSize,
    maxEntries: map.maxEntries,
    flags: map.flags,
    pinning: 'none',
    sectionName: '',
  };
}

/** A kernel map as the backend-neutral LoadedMap (the CLI's dump and entry code takes those). */
export async function loadedKernelMap(map: KernelMap): Promise<LoadedMap> {
  const { CollectionMap } = await import('../kernel/index.js');
  return new CollectionMap(specOf(map), map, true);
}

/** A kernel program as a LoadedProgram: BPF_PROG_TEST_RUN through its fd. */
function loadedKernelProgram(prog: KernelProgram): LoadedProgram {
  return {
    name: prog.name,
    type: prog.type,
    fd: prog.fd,
    run: (input = {}) => {
      const r = prog.testRun(input);
      const out = { retval: r.retval, data: r.data, duration: r.duration };
      return r.ctx === undefined ? out : { ...out, ctx: r.ctx };
    },
  };
}

/**
 * A program in the kernel and the maps it uses, opened as a Collection for `prog run`: the maps
 * by the ids the program holds, so their changes can be shown. Closing it closes the new fds
 * only; the program and its maps stay with their other holders.
 */
export async function kernelProgramCollection(form: KernelForm): Promise<Collection> {
  const kernel = await kernelModule(`prog run ${form.label}`);
  const { programDetails } = await import('../kernel/index.js');
  const prog = kernel.openProgram(form.ref);
  const maps = new Map<string, LoadedMap>();
  const opened: { close(): void }[] = [prog];
  const close = () => {
    for (const o of opened) o.close();
  };
  try {
    for (const id of programDetails(prog.fd).mapIds) {
      const m = kernel.openMap({ id });
      opened.push(m);
      maps.set(m.name === '' || maps.has(m.name) ? `id ${id}` : m.name, await loadedKernelMap(m));
    }
  } catch (e) {
    close();
    throw e;
  }
  const program = loadedKernelProgram(prog);
  return {
    programs: new Map([[program.name, program]]),
    maps,
    close,
    [Symbol.dispose]: close,
  };
}
