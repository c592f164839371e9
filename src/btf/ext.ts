// Parses .BTF.ext (Documentation/bpf/btf.rst §4.2): per-section func_info, line_info and CO-RE
// relocation records. Header: magic u16, version u8, flags u8, hdr_len, func_info_off/len,
// line_info_off/len, and (hdr_len >= 32) core_relo_off/len. Each info block is a record size
// followed by {sec_name_off, num_info, records...}. Offsets here stay as the object has them
// (bytes from the start of the section); the loader turns them into instruction slots.

import { LoadError } from '../errors.js';
import { ByteReader } from './bytes.js';
import { btfString } from './parse.js';
import { BTF_MAGIC, type Btf } from './types.js';

export interface FuncInfoRecord {
  /** Byte offset of the function's first instruction in its ELF section. */
  readonly insnOff: number;
  readonly typeId: number;
}

export interface LineInfoRecord {
  readonly insnOff: number;
  readonly file: string;
  /** The source line's text, as clang records it. */
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

/** enum bpf_core_relo_kind (uapi <linux/bpf.h>). */
export const CoreReloKind = [
  'FIELD_BYTE_OFFSET',
  'FIELD_BYTE_SIZE',
  'FIELD_EXISTS',
  'FIELD_SIGNED',
  'FIELD_LSHIFT_U64',
  'FIELD_RSHIFT_U64',
  'TYPE_ID_LOCAL',
  'TYPE_ID_TARGET',
  'TYPE_EXISTS',
  'TYPE_SIZE',
  'ENUMVAL_EXISTS',
  'ENUMVAL_VALUE',
  'TYPE_MATCHES',
] as const;
export type CoreReloKindName = (typeof CoreReloKind)[number];

export interface CoreReloRecord {
  readonly insnOff: number;
  /** The local (object BTF) root type. */
  readonly typeId: number;
  /** The access string, e.g. `0:1:2`. */
  readonly access: string;
  readonly kind: CoreReloKindName;
}

export interface ExtSection<T> {
  readonly section: string;
  readonly records: readonly T[];
}

export interface BtfExt {
  readonly funcInfo: readonly ExtSection<FuncInfoRecord>[];
  readonly lineInfo: readonly ExtSection<LineInfoRecord>[];
  readonly coreRelos: readonly ExtSection<CoreReloRecord>[];
}

const WHAT = 'section .BTF.ext';

export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  if (bytes.length < 24)
    throw new LoadError('ELF_INVALID', `${WHAT}: ${bytes.length} bytes is too short for a header`);
  const le = bytes[0] === (BTF_MAGIC & 0xff) && bytes[1] === BTF_MAGIC >> 8;
  const be = bytes[0] === BTF_MAGIC >> 8 && bytes[1] === (BTF_MAGIC & 0xff);
  if (!le && !be) throw new LoadError('ELF_INVALID', `${WHAT}: bad magic (expected 0xeb9f)`);
  const r = new ByteReader(bytes, le, WHAT);
  if (r.u8(2, 'version') !== 1)
    throw new LoadError('ELF_INVALID', `${WHAT}: unsupported version ${r.u8(2, 'version')}`);
  const hdrLen = r.u32(4, 'hdr_len');
  if (hdrLen < 24) throw new LoadError('ELF_INVALID', `${WHAT}: hdr_len ${hdrLen} < 24`);
  r.check(0, hdrLen, 'header');
  const block = (offField: number, name: string): [number, number] => {
    const off = r.u32(offField, `${name}_off`);
    const len = r.u32(offField + 4, `${name}_len`);
    r.check(hdrLen + off, len, name);
    return [hdrLen + off, len];
  };
  const str = (off: number, field: string): string => btfString(btf, off, `${WHAT} ${field}`);

  const funcInfo = infoBlocks(r, ...block(8, 'func_info'), 8, 'func_info', str, (at) => ({
    insnOff: r.u32(at, 'func_info insn_off'),
    typeId: r.u32(at + 4, 'func_info type_id'),
  }));
  const lineInfo = infoBlocks(r, ...block(16, 'line_info'), 16, 'line_info', str, (at) => {
    const col = r.u32(at + 12, 'line_info line_col');
    return {
      insnOff: r.u32(at, 'line_info insn_off'),
      file: str(r.u32(at + 4, 'line_info file_name_off'), 'file name'),
      text: str(r.u32(at + 8, 'line_info line_off'), 'line text'),
      // BPF_LINE_INFO_LINE_NUM / BPF_LINE_INFO_LINE_COL: line in the high 22 bits, column in the low 10.
      line: col >>> 10,
      column: col & 0x3ff,
    };
  });
  let coreRelos: ExtSection<CoreReloRecord>[] = [];
  if (hdrLen >= 32) {
    coreRelos = infoBlocks(r, ...block(24, 'core_relo'), 16, 'core_relo', str, (at) => {
      const kind = r.u32(at + 12, 'core_relo kind');
      const name = CoreReloKind[kind];
      if (name === undefined)
        throw new LoadError('ELF_INVALID', `${WHAT}: unknown CO-RE relocation kind ${kind}`);
      return {
        insnOff: r.u32(at, 'core_relo insn_off'),
        typeId: r.u32(at + 4, 'core_relo type_id'),
        access: str(r.u32(at + 8, 'core_relo access_str_off'), 'access string'),
        kind: name,
      };
    });
  }
  return { funcInfo, lineInfo, coreRelos };
}

function infoBlocks<T>(
  r: ByteReader,
  start: number,
  len: number,
  minRecord: number,
  name: string,
  str: (off: number, field: string) => string,
  record: (at: number) => T,
): ExtSection<T>[] {
  const out: ExtSection<T>[] = [];
  if (len === 0) return out;
  const end = start + len;
  const recSize = r.u32(start, `${name} record size`);
  if (recSize < minRecord || recSize % 4 !== 0 || recSize > 1024) {
    throw new LoadError('ELF_INVALID', `${WHAT}: ${name} record size ${recSize} is invalid`);
  }
  let at = start + 4;
  while (at < end) {
    if (at + 8 > end) throw new LoadError('ELF_INVALID', `${WHAT}: ${name} section header is truncated`);
    const section = str(r.u32(at, `${name} sec_name_off`), `${name} section name`);
    const count = r.u32(at + 4, `${name} num_info`);
    at += 8;
    if (count * recSize > end - at) {
      throw new LoadError(
        'ELF_INVALID',
        `${WHAT}: ${name} for '${section}' has ${count} records, more than fit`,
      );
    }
    const records: T[] = [];
    for (let i = 0; i < count; i++, at += recSize) records.push(record(at));
    out.push({ section, records });
  }
  return out;
}
