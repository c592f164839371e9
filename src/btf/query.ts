// Queries over parsed BTF: skip typedefs and qualifiers, sizeof, members by name, lookups by name.
// All functions are total over validated BTF: a loop of typedefs or an unsized kind gives a
// LoadError('ELF_INVALID') instead of recursing forever. Parsing lives in parse.ts.

import { LoadError } from '../errors.js';
import type { Btf, BtfKindName, BtfMember, BtfType } from './types.js';

/** The longest typedef/qualifier/array chain followed before declaring a loop (kernel MAX_RESOLVE_DEPTH). */
const MAX_RESOLVE_DEPTH = 32;

export function typeById(btf: Btf, id: number): BtfType {
  const t = btf.types[id];
  if (t === undefined) throw new LoadError('ELF_INVALID', `BTF: no type with id ${id}`);
  return t;
}

const TRANSPARENT = new Set<BtfKindName>(['typedef', 'volatile', 'const', 'restrict', 'type_tag']);

/** Follows typedefs and qualifiers (const, volatile, restrict, type_tag) to the underlying type id. */
export function resolveId(btf: Btf, id: number): number {
  let cur = id;
  for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
    const t = typeById(btf, cur);
    if (!TRANSPARENT.has(t.kind)) return cur;
    cur = (t as { type: number }).type;
  }
  throw new LoadError('ELF_INVALID', `BTF: type ${id} does not resolve (typedef loop?)`);
}

export function resolveType(btf: Btf, id: number): BtfType {
  return typeById(btf, resolveId(btf, id));
}

/** A bitfield member's bits in its struct or union, and its resolved (int or enum) type. */
export interface MemberBits {
  /** Bit position from the start of the record. */
  readonly pos: number;
  readonly width: number;
  readonly type: BtfType;
}

/**
 * Where member `m`'s bits are when it is a bitfield, under either BTF encoding (btf.rst, "BTF_KIND_STRUCT"):
 * kind_flag set, the width in the member (bitfieldSize); or kind_flag clear, an int type whose own
 * offset and bit count are not its whole size. undefined for an ordinary member.
 */
export function memberBits(btf: Btf, m: BtfMember): MemberBits | undefined {
  const type = resolveType(btf, m.type);
  if (m.bitfieldSize > 0) return { pos: m.bitOffset, width: m.bitfieldSize, type };
  if (type.kind === 'int' && (type.bitOffset !== 0 || type.bits !== type.size * 8))
    return { pos: m.bitOffset + type.bitOffset, width: type.bits, type };
  return undefined;
}

/** Size in bytes of a type, as the compiler laid it out. */
export function sizeOf(btf: Btf, id: number): number {
  let cur = id;
  let mult = 1;
  for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
    const t = resolveType(btf, cur);
    switch (t.kind) {
      case 'int':
      case 'struct':
      case 'union':
      case 'enum':
      case 'enum64':
      case 'float':
      case 'datasec':
        return checkedSize(mult * t.size, id);
      case 'ptr':
        return checkedSize(mult * 8, id);
      case 'array':
        mult *= t.nelems;
        cur = t.type;
        continue;
      case 'var':
        cur = t.type;
        continue;
      default:
        throw new LoadError('ELF_INVALID', `BTF: type ${id} (${t.kind}) has no size`);
    }
  }
  throw new LoadError('ELF_INVALID', `BTF: type ${id} nests too deeply`);
}

function checkedSize(n: number, id: number): number {
  if (!Number.isSafeInteger(n) || n > 0xffffffff)
    throw new LoadError('ELF_INVALID', `BTF: type ${id} is too large`);
  return n;
}

/** The named member of a struct or union (after resolving), or undefined. */
export function memberByName(btf: Btf, id: number, name: string): BtfMember | undefined {
  const t = resolveType(btf, id);
  if (t.kind !== 'struct' && t.kind !== 'union') return undefined;
  return t.members.find((m) => m.name === name);
}

/**
 * Byte offset of a member path like `['hdr', 'len']` inside a struct; throws if a step is
 * missing or lands in a bitfield.
 */
export function memberOffset(btf: Btf, id: number, path: readonly string[]): number {
  let off = 0;
  let cur = id;
  for (const name of path) {
    const m = memberByName(btf, cur, name);
    if (m === undefined) throw new LoadError('LOAD_ERROR', `BTF: type ${cur} has no member '${name}'`);
    if (m.bitfieldSize !== 0 || m.bitOffset % 8 !== 0) {
      throw new LoadError('LOAD_ERROR', `BTF: member '${name}' is a bitfield`);
    }
    off += m.bitOffset / 8;
    cur = m.type;
  }
  return off;
}

/** First type id with the given name (and kind, if given); undefined if none. */
export function findType(btf: Btf, name: string, kind?: BtfKindName): number | undefined {
  for (let id = 1; id < btf.types.length; id++) {
    const t = btf.types[id]!;
    if (t.name === name && (kind === undefined || t.kind === kind)) return id;
  }
  return undefined;
}

/** A short C-like spelling of a type for messages: `struct xdp_md *`, `__u32[4]`. */
export function typeName(btf: Btf, id: number, depth = 0): string {
  const t = btf.types[id];
  if (t === undefined) return `<type ${id}>`;
  if (depth > MAX_RESOLVE_DEPTH) return '...';
  switch (t.kind) {
    case 'void':
      return 'void';
    case 'ptr':
      return `${typeName(btf, t.type, depth + 1)} *`;
    case 'array':
      return `${typeName(btf, t.type, depth + 1)}[${t.nelems}]`;
    case 'struct':
    case 'union':
    case 'enum':
      return `${t.kind} ${t.name || '(anon)'}`;
    case 'fwd':
      return `${t.union ? 'union' : 'struct'} ${t.name}`;
    case 'const':
    case 'volatile':
    case 'restrict':
      return `${t.kind} ${typeName(btf, t.type, depth + 1)}`;
    case 'func_proto':
      return `${typeName(btf, t.returnType, depth + 1)} (*)(${t.params.map((p) => typeName(btf, p.type, depth + 1)).join(', ')})`;
    default:
      return t.name || `(anon ${t.kind})`;
  }
}
