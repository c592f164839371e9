// The spec types: what a loaded object *is*, as plain deterministic data (no fds, no backend).
// ProgramSpec, MapSpec, VariableSpec and CollectionSpec are produced by elf/ (from objects) and
// could be built by hand or by asm/; backends turn them into live programs and maps at load time.

import type { CoreReloKindName } from '../btf/ext.js';
import type { Btf } from '../btf/types.js';
import type { Instruction } from '../isa/instruction.js';
import type { AttachTypeName } from '../uapi/attach-types.js';
import type { MapTypeName } from '../uapi/map-types.js';
import type { ProgTypeName } from '../uapi/prog-types.js';

/** bpf_func_info for BPF_PROG_LOAD: the BTF FUNC of the function starting at `insnOff` (in 8-byte slots). */
export interface FuncInfo {
  readonly insnOff: number;
  readonly typeId: number;
  readonly name: string;
}

/** bpf_line_info for BPF_PROG_LOAD, with the strings resolved; `insnOff` is in slots of the linked program. */
export interface LineInfo {
  readonly insnOff: number;
  readonly file: string;
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

/**
 * A CO-RE relocation (bpf_core_relo, Documentation/bpf/llvm_reloc.rst) still to be applied:
 * `insnOff` is the slot of its instruction in the linked program; typeId and access refer to
 * CollectionSpec.btf. applyCoreRelocations (program/co-re-apply.ts) resolves them against a target BTF.
 */
export interface CoreRelocation {
  readonly insnOff: number;
  readonly typeId: number;
  readonly access: string;
  readonly kind: CoreReloKindName;
}

export interface ProgramSpec {
  /** The function symbol that starts the program. */
  readonly name: string;
  /** The ELF section it came from, e.g. `xdp`, `kprobe/do_unlinkat`. */
  readonly sectionName: string;
  readonly type: ProgTypeName;
  readonly attachType?: AttachTypeName;
  /** What follows `prefix/` in the section name (`kprobe/do_unlinkat` -> `do_unlinkat`). */
  readonly attachTo?: string;
  /** BPF_PROG_LOAD prog_flags implied by the section (BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS). */
  readonly flags: number;
  /**
   * The linked program: the entry function followed by every function it calls, call and
   * callback offsets fixed up. Map loads are symbolic: `reference` names the map, imm is 0 and
   * src is BPF_PSEUDO_MAP_FD or BPF_PSEUDO_MAP_VALUE (with the value offset in `hi`).
   */
  readonly instructions: readonly Instruction[];
  readonly license: string;
  readonly kernelVersion?: number;
  readonly funcInfo: readonly FuncInfo[];
  readonly lineInfo: readonly LineInfo[];
  /**
   * CO-RE relocations not yet applied (absent when there are none). The target BTF is the
   * environment's, so they stay here until load: backends call applyCoreRelocations.
   */
  readonly coreRelocations?: readonly CoreRelocation[];
}

/** LIBBPF_PIN_NONE / LIBBPF_PIN_BY_NAME. */
export type Pinning = 'none' | 'by-name';

export type MapContents =
  /** Initial bytes of the single value of a global-data array (key 0). */
  | { readonly kind: 'data'; readonly bytes: Uint8Array }
  /** Prog-array slots, filled with programs by name. */
  | {
      readonly kind: 'programs';
      readonly slots: readonly { readonly index: number; readonly program: string }[];
    }
  /** Map-in-map slots, filled with maps by name. */
  | { readonly kind: 'maps'; readonly slots: readonly { readonly index: number; readonly map: string }[] };

export interface MapSpec {
  readonly name: string;
  readonly type: MapTypeName;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly pinning: Pinning;
  readonly numaNode?: number | undefined;
  readonly mapExtra?: bigint | undefined;
  /** The template of the maps stored in a map-in-map. */
  readonly innerMap?: MapSpec | undefined;
  readonly contents?: MapContents | undefined;
  /** BTF type ids of key and value in CollectionSpec.btf; absent without BTF. */
  readonly btfKeyType?: number | undefined;
  readonly btfValueType?: number | undefined;
  /** The ELF section the definition came from (`.maps`, `maps`, `.data`, `.rodata.str1.1`, ...). */
  readonly sectionName: string;
}

/** A global variable: where it lives inside a global-data map. */
export interface VariableSpec {
  readonly name: string;
  /** The MapSpec (named after its section: `.data`, `.bss`, `.rodata`, ...) holding it. */
  readonly map: string;
  readonly offset: number;
  readonly size: number;
  /** BTF type id of the variable's type; absent without BTF. */
  readonly btfType?: number;
  /** True for `.rodata*` (const) variables. */
  readonly readOnly: boolean;
}

export interface CollectionSpec {
  /** In section order, then by offset within the section. */
  readonly programs: readonly ProgramSpec[];
  /** `.maps`/`maps` definitions in section order, then global-data maps in section order. */
  readonly maps: readonly MapSpec[];
  readonly variables: readonly VariableSpec[];
  readonly btf?: Btf;
  readonly license: string;
  readonly version?: number;
}

export function programByName(spec: CollectionSpec, name: string): ProgramSpec | undefined {
  return spec.programs.find((p) => p.name === name);
}

export function mapByName(spec: CollectionSpec, name: string): MapSpec | undefined {
  return spec.maps.find((m) => m.name === name);
}

/**
 * What a backend refuses to load when a program's type could not be told from its section
 * (type 'UNSPEC'): the caller must set `type` (and `attachType`) on the ProgramSpec first.
 */
export function unknownTypeFeature(p: ProgramSpec): string {
  return `program type of section '${p.sectionName}' (unknown section: set the ProgramSpec's type before loading)`;
}
