// The working records of CO-RE relocation (libbpf's bpf_core_spec / bpf_core_relo_res, as data):
// an access spec — the path from a root type to a field, enumerator or the type itself, in one
// BTF — and the result of resolving one relocation. No logic here; see resolve.ts.

import type { CoreReloKindName } from '../ext.js';
import type { Btf } from '../types.js';

/** One meaningful step of an access: a named member, or an array index (name undefined). */
export interface CoreAccessor {
  /** For a member: the struct/union that has it; for an index: the element type (both resolved). */
  readonly typeId: number;
  /** Member index or array index. */
  readonly idx: number;
  /** Member or enumerator name; undefined for an array index. */
  readonly name?: string;
}

export interface CoreSpec {
  readonly btf: Btf;
  readonly kind: CoreReloKindName;
  /** The root type id as the relocation names it (not resolved through typedefs). */
  readonly rootId: number;
  /** The high-level steps: index on the root pointer, then named members and array indices. */
  readonly accessors: readonly CoreAccessor[];
  /** Every step, including anonymous members (the access string's numbers). */
  readonly raw: readonly number[];
  /** Bit offset of the accessed field from the start of the root. */
  readonly bitOffset: number;
}

/** What one relocation resolves to (libbpf's bpf_core_relo_res). Values are unsigned 64-bit. */
export interface CoreResult {
  /** The value the compiler assumed (from the local BTF); checked against the instruction when `validate`. */
  readonly origVal: bigint;
  /** The value for the target. */
  readonly newVal: bigint;
  /** Nothing matched and the value cannot be defaulted: the instruction is to be poisoned. */
  readonly poison: boolean;
  readonly validate: boolean;
  /** Field byte sizes (0 when not a plain field offset), for resizing loads and stores. */
  readonly origSize: number;
  readonly newSize: number;
  /** The sizes differ in a way a resized load would read wrongly (signed or non-integer fields). */
  readonly failMemSizeAdjust: boolean;
  /** The local access, in libbpf's debug-log notation: `<byte_off> [2] struct s.a.b (0:1:0 @ offset 4)`. */
  readonly local: string;
  /** The matched target access in the same notation; undefined when no candidate matched. */
  readonly target?: string;
}
