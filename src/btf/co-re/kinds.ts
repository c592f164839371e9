// The three families of CO-RE relocation kinds (enum bpf_core_relo_kind, uapi <linux/bpf.h>) and
// libbpf's short names for them, used in messages so they read like libbpf's debug log.

import type { CoreReloKindName } from '../ext.js';

export type CoreFamily = 'field' | 'type' | 'enumval';

export function coreFamily(kind: CoreReloKindName): CoreFamily {
  switch (kind) {
    case 'FIELD_BYTE_OFFSET':
    case 'FIELD_BYTE_SIZE':
    case 'FIELD_EXISTS':
    case 'FIELD_SIGNED':
    case 'FIELD_LSHIFT_U64':
    case 'FIELD_RSHIFT_U64':
      return 'field';
    case 'TYPE_ID_LOCAL':
    case 'TYPE_ID_TARGET':
    case 'TYPE_EXISTS':
    case 'TYPE_SIZE':
    case 'TYPE_MATCHES':
      return 'type';
    case 'ENUMVAL_EXISTS':
    case 'ENUMVAL_VALUE':
      return 'enumval';
  }
}

/** libbpf's core_relo_kind_str. */
export const CORE_KIND_SHORT: Readonly<Record<CoreReloKindName, string>> = {
  FIELD_BYTE_OFFSET: 'byte_off',
  FIELD_BYTE_SIZE: 'byte_sz',
  FIELD_EXISTS: 'field_exists',
  FIELD_SIGNED: 'signed',
  FIELD_LSHIFT_U64: 'lshift_u64',
  FIELD_RSHIFT_U64: 'rshift_u64',
  TYPE_ID_LOCAL: 'local_type_id',
  TYPE_ID_TARGET: 'target_type_id',
  TYPE_EXISTS: 'type_exists',
  TYPE_SIZE: 'type_size',
  ENUMVAL_EXISTS: 'enumval_exists',
  ENUMVAL_VALUE: 'enumval_value',
  TYPE_MATCHES: 'type_matches',
};
