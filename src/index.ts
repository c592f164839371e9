// The public, browser-safe API of tsbpf (layer 6). Everything here runs without Node built-ins;
// the Linux backend is the separate `tsbpf/kernel` entry (src/kernel/index.ts).
export * from './asm/index.js';
// BTF parsing, so a VM caller can hand load() a targetBtf for CO-RE (e.g. a vmlinux BTF file).
export { type Btf, parseBtf } from './btf/index.js';
export type { ElfFile, ElfRelocation, ElfSection, ElfSymbol } from './elf/index.js';
export { loadCollectionSpec, readElf } from './elf/index.js';
export * from './errors.js';

import { Interpreter } from './interp/index.js';
import type { CollectionSpec } from './program/index.js';
import { type LoadCollectionOptions, loadCollection, type VmCollection } from './runtime/index.js';
import { verify } from './verifier/index.js';

export { type Block, buildCfg, type Cfg, type CfgOptions } from './cfg/index.js';
export { Interpreter } from './interp/index.js';
export * from './isa/index.js';
export * from './program/index.js';
export * from './runtime/index.js';
export * from './uapi/index.js';
export { type Verified, type VerifyOptions, verify } from './verifier/index.js';

/**
 * Options of `load`: those of the VM's loadCollection, with the engine optional (default: the
 * Interpreter) and `verify` a switch: true (default) runs verifier/'s passes on every program;
 * false loads programs unverified (the runtime's memory checks still hold).
 */
export type LoadOptions = Omit<LoadCollectionOptions, 'engine' | 'verify'> &
  Partial<Pick<LoadCollectionOptions, 'engine'>> & { readonly verify?: boolean };

/** Loads a CollectionSpec into the VM backend, running its programs on the reference interpreter by default. */
export function load(spec: CollectionSpec, options: LoadOptions = {}): VmCollection {
  const { verify: verifying = true, ...rest } = options;
  return loadCollection(spec, {
    engine: (program, o) => new Interpreter(program, o),
    ...rest,
    ...(verifying ? { verify: (p, helpers) => void verify(p, { helpers }) } : {}),
  });
}
