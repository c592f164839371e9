// The value a relocation stands for, computed from one access spec (libbpf bpf_core_calc_field_relo,
// _calc_type_relo, _calc_enumval_relo). Called twice per relocation: with the local spec (what the
// compiler assumed) and with the matched target spec, or with none when nothing matched — then
// existence checks give 0 and field or enumerator values ask for the instruction to be poisoned.

import { LoadError } from '../../errors.js';
import { resolveId, sizeOf, typeById } from '../query.js';
import { isComposite } from './access.js';
import type { CoreSpec } from './types.js';

export const POISON = 'poison';

export interface FieldValue {
  readonly value: bigint;
  /** Byte size of a plain (non-bitfield) field for BYTE_OFFSET, else 0: loads of it get resized. */
  readonly size: number;
  /** The field's type id (resolved) when `size` is set. */
  readonly typeId: number;
  /** Whether the instruction must hold the local value (bitfield aspects are not checked). */
  readonly validate: boolean;
}

const fail = (why: string): LoadError => new LoadError('LOAD_ERROR', why);

/**
 * A field relocation's value; `littleEndian` is the byte order the program runs in (it decides
 * the bitfield left shift).
 */
export function fieldValue(
  kind: CoreSpec['kind'],
  spec: CoreSpec | undefined,
  littleEndian: boolean,
): FieldValue | typeof POISON {
  const none = { size: 0, typeId: 0, validate: true };
  if (kind === 'FIELD_EXISTS') return { ...none, value: spec === undefined ? 0n : 1n };
  if (spec === undefined) return POISON;
  const { btf } = spec;
  const acc = spec.accessors[spec.accessors.length - 1]!;

  if (acc.name === undefined) {
    // The access ends in an array element (or is the root itself).
    const size = sizeOf(btf, acc.typeId);
    if (kind === 'FIELD_BYTE_OFFSET')
      return { value: BigInt(Math.floor(spec.bitOffset / 8)), size, typeId: acc.typeId, validate: true };
    if (kind === 'FIELD_BYTE_SIZE') return { ...none, value: BigInt(size) };
    throw fail(`a ${kind} relocation cannot apply to an array element`);
  }

  const owner = typeById(btf, acc.typeId);
  if (!isComposite(owner)) throw fail(`[${acc.typeId}] is not a struct or union`);
  const m = owner.members[acc.idx]!;
  const fieldId = resolveId(btf, m.type);
  const ft = typeById(btf, fieldId);
  const bitOff = spec.bitOffset;
  let bitSize = m.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOff: number;
  if (bitfield) {
    // The smallest naturally aligned load (from the member type's size up) that covers the bits.
    if (!('size' in ft) || ft.size <= 0) throw fail(`bitfield ${m.name} has an unsized type`);
    byteSize = ft.size;
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) throw fail(`bitfield ${m.name} cannot be read with a 64-bit load`);
      byteSize *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  } else {
    byteSize = sizeOf(btf, fieldId);
    byteOff = Math.floor(bitOff / 8);
    bitSize = byteSize * 8;
  }
  // Bitfield aspects are ambiguous (the compiler may choose another load), so only the
  // unambiguous ones are validated: plain fields, signedness and the right shift.
  const validate = !bitfield;
  switch (kind) {
    case 'FIELD_BYTE_OFFSET':
      return bitfield
        ? { ...none, value: BigInt(byteOff), validate }
        : { value: BigInt(byteOff), size: byteSize, typeId: fieldId, validate };
    case 'FIELD_BYTE_SIZE':
      return { ...none, value: BigInt(byteSize), validate };
    case 'FIELD_SIGNED': {
      const signed =
        ((ft.kind === 'enum' || ft.kind === 'enum64') && ft.signed) || (ft.kind === 'int' && ft.signed);
      return { ...none, value: signed ? 1n : 0n };
    }
    case 'FIELD_LSHIFT_U64':
      return {
        ...none,
        value: BigInt(
          littleEndian ? 64 - (bitOff + bitSize - byteOff * 8) : (8 - byteSize) * 8 + (bitOff - byteOff * 8),
        ),
        validate,
      };
    case 'FIELD_RSHIFT_U64':
      return { ...none, value: BigInt(64 - bitSize) };
    default:
      throw fail(`${kind} is not a field relocation`);
  }
}

/** A type relocation's value: 0 when nothing matched (never poisoned). */
export function typeValue(
  spec: CoreSpec | undefined,
  kind: CoreSpec['kind'],
): { value: bigint; validate: boolean } {
  if (spec === undefined) return { value: 0n, validate: true };
  switch (kind) {
    case 'TYPE_ID_TARGET':
      // The type id in the instruction may have changed in linking; libbpf does not check it.
      return { value: BigInt(spec.rootId), validate: false };
    case 'TYPE_EXISTS':
    case 'TYPE_MATCHES':
      return { value: 1n, validate: true };
    case 'TYPE_SIZE':
      return { value: BigInt(sizeOf(spec.btf, spec.rootId)), validate: true };
    default:
      throw fail(`${kind} is not computed from a target type`);
  }
}

/** An enumerator relocation's value; a missing enumerator's value poisons the instruction. */
export function enumValue(spec: CoreSpec | undefined, kind: CoreSpec['kind']): bigint | typeof POISON {
  if (kind === 'ENUMVAL_EXISTS') return spec === undefined ? 0n : 1n;
  if (spec === undefined) return POISON;
  const acc = spec.accessors[0]!;
  const t = typeById(spec.btf, acc.typeId);
  if (t.kind === 'enum') {
    // btf_enum.val is an s32; libbpf widens it to u64 with its sign.
    return BigInt.asUintN(64, BigInt(t.values[acc.idx]!.value | 0));
  }
  if (t.kind === 'enum64') return BigInt.asUintN(64, t.values[acc.idx]!.value);
  throw fail(`[${acc.typeId}] is not an enum`);
}
