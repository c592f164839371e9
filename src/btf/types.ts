// BTF type records as plain data: one variant per kind of the kernel's <linux/btf.h>
// (Documentation/bpf/btf.rst §2.2). Type ids index `Btf.types`; id 0 is void.
// Parsing is in parse.ts, queries (sizeof, resolve, members) in query.ts.

/** BTF_KIND_* values (uapi <linux/btf.h>). */
export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** BTF_MAGIC, read in the object's byte order. */
export const BTF_MAGIC = 0xeb9f;

export type Linkage = 'static' | 'global' | 'extern';

export interface BtfMember {
  readonly name: string;
  readonly type: number;
  /** Offset of the member in bits from the start of the struct. */
  readonly bitOffset: number;
  /** Bitfield width in bits; 0 for an ordinary member. */
  readonly bitfieldSize: number;
}

export interface BtfParam {
  readonly name: string;
  readonly type: number;
}

export interface BtfVarSecinfo {
  /** The VAR (or FUNC, for .ksyms) type id. */
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

export interface BtfEnumValue<V> {
  readonly name: string;
  readonly value: V;
}

export type BtfType =
  | { readonly kind: 'void'; readonly name: '' }
  | {
      readonly kind: 'int';
      readonly name: string;
      readonly size: number;
      /** BTF_INT_SIGNED, BTF_INT_CHAR, BTF_INT_BOOL. */
      readonly signed: boolean;
      readonly char: boolean;
      readonly bool: boolean;
      readonly bitOffset: number;
      readonly bits: number;
    }
  | { readonly kind: 'ptr'; readonly name: string; readonly type: number }
  | {
      readonly kind: 'array';
      readonly name: string;
      readonly type: number;
      readonly indexType: number;
      readonly nelems: number;
    }
  | {
      readonly kind: 'struct' | 'union';
      readonly name: string;
      readonly size: number;
      readonly members: readonly BtfMember[];
    }
  | {
      readonly kind: 'enum';
      readonly name: string;
      readonly size: number;
      readonly signed: boolean;
      readonly values: readonly BtfEnumValue<number>[];
    }
  | {
      readonly kind: 'enum64';
      readonly name: string;
      readonly size: number;
      readonly signed: boolean;
      readonly values: readonly BtfEnumValue<bigint>[];
    }
  | { readonly kind: 'fwd'; readonly name: string; readonly union: boolean }
  | {
      readonly kind: 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag';
      readonly name: string;
      readonly type: number;
    }
  | { readonly kind: 'func'; readonly name: string; readonly type: number; readonly linkage: Linkage }
  | {
      readonly kind: 'func_proto';
      readonly name: string;
      readonly returnType: number;
      readonly params: readonly BtfParam[];
    }
  | { readonly kind: 'var'; readonly name: string; readonly type: number; readonly linkage: Linkage }
  | {
      readonly kind: 'datasec';
      readonly name: string;
      readonly size: number;
      readonly vars: readonly BtfVarSecinfo[];
    }
  | { readonly kind: 'float'; readonly name: string; readonly size: number }
  | {
      readonly kind: 'decl_tag';
      readonly name: string;
      readonly type: number;
      /** -1 when the tag applies to the type itself, else the member/param index. */
      readonly componentIdx: number;
    };

export type BtfKindName = BtfType['kind'];

/** A parsed .BTF section: the types (index = type id) and the exact bytes they came from. */
export interface Btf {
  readonly littleEndian: boolean;
  /** types[0] is void. */
  readonly types: readonly BtfType[];
  /** The raw section, as the kernel's BPF_BTF_LOAD wants it (after loader fix-ups). */
  readonly raw: Uint8Array;
}
