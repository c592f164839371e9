// Programs pinned beside the maps of a collection (LoadKernelOptions.programPins), so that a
// controller restarted with the same pinPath can take over what runs instead of loading and
// verifying again: each program lives at `<pinPath>/prog-<name>` (bpffs refuses names with a dot, and a
// C map name holds no dash, so the files never collide with the maps pinned by name). 'adopt' opens the pinned
// programs when every map of the collection was reused from its pin and every program is pinned
// with the spec's type; otherwise (and always under 'replace') the programs are loaded and the
// pins made or replaced once the whole load has succeeded.

import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BpfError, Errno, LoadError } from '../errors.js';
import type { ProgramSpec } from '../program/index.js';
import { openProgram } from './open.js';
import type { KernelProgram } from './program.js';

export type ProgramPins = 'adopt' | 'replace';

export const programPinPath = (pinPath: string, name: string): string => join(pinPath, `prog-${name}`);

/**
 * The pinned programs to adopt, by spec name, or undefined when they are to be loaded (a note
 * says why). The caller owns the returned programs.
 */
export function adoptPinnedPrograms(
  programs: readonly ProgramSpec[],
  pinPath: string,
  mapsReused: boolean,
  notes: string[],
): Map<string, KernelProgram> | undefined {
  if (!mapsReused) {
    notes.push('programs: loaded, not adopted (not every map was reused from its pin)');
    return undefined;
  }
  const found = new Map<string, KernelProgram>();
  try {
    for (const p of programs) {
      let kp: KernelProgram;
      try {
        kp = openProgram({ pinned: programPinPath(pinPath, p.name) });
      } catch (e) {
        if (e instanceof BpfError && e.errno === Errno.ENOENT) {
          notes.push(`programs: loaded, not adopted (${p.name} is not pinned)`);
          for (const k of found.values()) k.close();
          return undefined;
        }
        throw e;
      }
      found.set(p.name, kp);
      if (kp.type !== p.type)
        throw new LoadError(
          'LOAD_ERROR',
          `program ${p.name}: the program pinned at ${programPinPath(pinPath, p.name)} is ${kp.type}, not ${p.type}`,
        );
    }
  } catch (e) {
    for (const k of found.values()) k.close();
    throw e;
  }
  notes.push(`programs: adopted from their pins under ${pinPath}`);
  return found;
}

/** Pins every loaded program at its path, replacing what was pinned there. */
export function pinPrograms(
  pinPath: string,
  loaded: ReadonlyMap<string, { readonly kernel: KernelProgram }>,
): void {
  for (const [name, p] of loaded) {
    const path = programPinPath(pinPath, name);
    try {
      unlinkSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    p.kernel.pin(path);
  }
}
