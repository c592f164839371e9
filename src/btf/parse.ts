// Parses a .BTF section (Documentation/bpf/btf.rst §2) into plain type records.
// Layout: btf_header { magic u16, version u8, flags u8, hdr_len, type_off, type_len, str_off,
// str_len }, then the type and string sections at hdr_len + *_off. Every offset is checked;
// malformed BTF throws LoadError('ELF_INVALID'). The byte order follows the magic.

import { LoadError } from '../errors.js';
import { ByteReader, decodeText } from './bytes.js';
import { BTF_MAGIC, type Btf, BtfKind, type BtfMember, type BtfType, type Linkage } from './types.js';

const HEADER_SIZE = 24;
/** struct btf_type: name_off, info, size/type. */
const TYPE_SIZE = 12;

interface Sections {
  readonly r: ByteReader;
  readonly typeStart: number;
  readonly typeEnd: number;
  readonly strStart: number;
  readonly strEnd: number;
}

function header(bytes: Uint8Array, what: string): Sections {
  if (bytes.length < 4)
    throw new LoadError('ELF_INVALID', `${what}: ${bytes.length} bytes is too short for a header`);
  const le = bytes[0] === (BTF_MAGIC & 0xff) && bytes[1] === BTF_MAGIC >> 8;
  const be = bytes[0] === BTF_MAGIC >> 8 && bytes[1] === (BTF_MAGIC & 0xff);
  if (!le && !be) throw new LoadError('ELF_INVALID', `${what}: bad magic (expected 0xeb9f)`);
  const r = new ByteReader(bytes, le, what);
  const version = r.u8(2, 'version');
  if (version !== 1) throw new LoadError('ELF_INVALID', `${what}: unsupported version ${version}`);
  const hdrLen = r.u32(4, 'hdr_len');
  if (hdrLen < HEADER_SIZE) throw new LoadError('ELF_INVALID', `${what}: hdr_len ${hdrLen} < ${HEADER_SIZE}`);
  const typeOff = r.u32(8, 'type_off');
  const typeLen = r.u32(12, 'type_len');
  const strOff = r.u32(16, 'str_off');
  const strLen = r.u32(20, 'str_len');
  r.check(hdrLen + typeOff, typeLen, 'type section');
  r.check(hdrLen + strOff, strLen, 'string section');
  if (typeOff % 4 !== 0)
    throw new LoadError('ELF_INVALID', `${what}: type_off ${typeOff} is not 4-byte aligned`);
  return {
    r,
    typeStart: hdrLen + typeOff,
    typeEnd: hdrLen + typeOff + typeLen,
    strStart: hdrLen + strOff,
    strEnd: hdrLen + strOff + strLen,
  };
}

/** A string of the BTF string section; offset 0 is the empty string. */
function stringAt(s: Sections, off: number, field: string): string {
  if (off === 0) return '';
  if (off >= s.strEnd - s.strStart) {
    throw new LoadError('ELF_INVALID', `${s.r.what}: ${field} name offset ${off} is past the string section`);
  }
  const at = s.strStart + off;
  const end = s.r.bytes.subarray(0, s.strEnd).indexOf(0, at);
  if (end < 0)
    throw new LoadError('ELF_INVALID', `${s.r.what}: ${field} name at ${off} is not NUL-terminated`);
  return decodeText(s.r.bytes.subarray(at, end));
}

function linkage(v: number, what: string): Linkage {
  if (v === 0) return 'static';
  if (v === 1) return 'global';
  if (v === 2) return 'extern';
  throw new LoadError('ELF_INVALID', `${what}: unknown linkage ${v}`);
}

/** Parses .BTF bytes. The returned `raw` is the input (not copied). */
export function parseBtf(bytes: Uint8Array, what = 'section .BTF'): Btf {
  const s = header(bytes, what);
  const { r } = s;
  const types: BtfType[] = [{ kind: 'void', name: '' }];
  let at = s.typeStart;
  while (at < s.typeEnd) {
    const id = types.length;
    const where = `type [${id}]`;
    if (at + TYPE_SIZE > s.typeEnd) throw new LoadError('ELF_INVALID', `${what}: ${where} is truncated`);
    const name = stringAt(s, r.u32(at, `${where} name_off`), where);
    const info = r.u32(at + 4, `${where} info`);
    const sizeOrType = r.u32(at + 8, `${where} size`);
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    const kflag = info >>> 31 === 1;
    at += TYPE_SIZE;
    const need = (n: number): number => {
      if (at + n > s.typeEnd)
        throw new LoadError('ELF_INVALID', `${what}: ${where} runs past the type section`);
      const start = at;
      at += n;
      return start;
    };
    let t: BtfType;
    switch (kind) {
      case BtfKind.INT: {
        const x = r.u32(need(4), `${where} int encoding`);
        const enc = (x >>> 24) & 0x0f;
        t = {
          kind: 'int',
          name,
          size: sizeOrType,
          signed: (enc & 1) !== 0,
          char: (enc & 2) !== 0,
          bool: (enc & 4) !== 0,
          bitOffset: (x >>> 16) & 0xff,
          bits: x & 0xff,
        };
        break;
      }
      case BtfKind.PTR:
        t = { kind: 'ptr', name, type: sizeOrType };
        break;
      case BtfKind.ARRAY: {
        const p = need(12);
        t = {
          kind: 'array',
          name,
          type: r.u32(p, `${where} array type`),
          indexType: r.u32(p + 4, `${where} index_type`),
          nelems: r.u32(p + 8, `${where} nelems`),
        };
        break;
      }
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        const p = need(vlen * 12);
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++) {
          const m = p + i * 12;
          const off = r.u32(m + 8, `${where} member offset`);
          members.push({
            name: stringAt(s, r.u32(m, `${where} member name`), where),
            type: r.u32(m + 4, `${where} member type`),
            bitOffset: kflag ? off & 0xffffff : off,
            bitfieldSize: kflag ? off >>> 24 : 0,
          });
        }
        t = { kind: kind === BtfKind.STRUCT ? 'struct' : 'union', name, size: sizeOrType, members };
        break;
      }
      case BtfKind.ENUM: {
        const p = need(vlen * 8);
        const values = [];
        for (let i = 0; i < vlen; i++) {
          const e = p + i * 8;
          const raw = r.i32(e + 4, `${where} enum value`);
          values.push({
            name: stringAt(s, r.u32(e, `${where} enum name`), where),
            value: kflag ? raw : raw >>> 0,
          });
        }
        t = { kind: 'enum', name, size: sizeOrType, signed: kflag, values };
        break;
      }
      case BtfKind.ENUM64: {
        const p = need(vlen * 12);
        const values = [];
        for (let i = 0; i < vlen; i++) {
          const e = p + i * 12;
          const lo = r.u32(e + 4, `${where} enum64 lo`);
          const hi = r.u32(e + 8, `${where} enum64 hi`);
          const u = (BigInt(hi) << 32n) | BigInt(lo);
          values.push({
            name: stringAt(s, r.u32(e, `${where} enum64 name`), where),
            value: kflag ? BigInt.asIntN(64, u) : u,
          });
        }
        t = { kind: 'enum64', name, size: sizeOrType, signed: kflag, values };
        break;
      }
      case BtfKind.FWD:
        t = { kind: 'fwd', name, union: kflag };
        break;
      case BtfKind.TYPEDEF:
        t = { kind: 'typedef', name, type: sizeOrType };
        break;
      case BtfKind.VOLATILE:
        t = { kind: 'volatile', name, type: sizeOrType };
        break;
      case BtfKind.CONST:
        t = { kind: 'const', name, type: sizeOrType };
        break;
      case BtfKind.RESTRICT:
        t = { kind: 'restrict', name, type: sizeOrType };
        break;
      case BtfKind.TYPE_TAG:
        t = { kind: 'type_tag', name, type: sizeOrType };
        break;
      case BtfKind.FUNC:
        t = { kind: 'func', name, type: sizeOrType, linkage: linkage(vlen, `${what}: ${where}`) };
        break;
      case BtfKind.FUNC_PROTO: {
        const p = need(vlen * 8);
        const params = [];
        for (let i = 0; i < vlen; i++) {
          params.push({
            name: stringAt(s, r.u32(p + i * 8, `${where} param name`), where),
            type: r.u32(p + i * 8 + 4, `${where} param type`),
          });
        }
        t = { kind: 'func_proto', name, returnType: sizeOrType, params };
        break;
      }
      case BtfKind.VAR:
        t = {
          kind: 'var',
          name,
          type: sizeOrType,
          linkage: linkage(r.u32(need(4), `${where} linkage`), `${what}: ${where}`),
        };
        break;
      case BtfKind.DATASEC: {
        const p = need(vlen * 12);
        const vars = [];
        for (let i = 0; i < vlen; i++) {
          const v = p + i * 12;
          vars.push({
            type: r.u32(v, `${where} var type`),
            offset: r.u32(v + 4, `${where} var offset`),
            size: r.u32(v + 8, `${where} var size`),
          });
        }
        t = { kind: 'datasec', name, size: sizeOrType, vars };
        break;
      }
      case BtfKind.FLOAT:
        t = { kind: 'float', name, size: sizeOrType };
        break;
      case BtfKind.DECL_TAG:
        t = {
          kind: 'decl_tag',
          name,
          type: sizeOrType,
          componentIdx: r.i32(need(4), `${where} component_idx`),
        };
        break;
      default:
        throw new LoadError('ELF_INVALID', `${what}: ${where} has unknown kind ${kind}`);
    }
    types.push(t);
  }
  checkReferences(types, what);
  return { littleEndian: r.littleEndian, types, raw: bytes };
}

/** Every type id a record refers to must exist, so queries never index past the table. */
function checkReferences(types: readonly BtfType[], what: string): void {
  const n = types.length;
  const ok = (id: number, from: number, field: string): void => {
    if (id >= n)
      throw new LoadError('ELF_INVALID', `${what}: type [${from}] ${field} refers to missing type ${id}`);
  };
  types.forEach((t, id) => {
    switch (t.kind) {
      case 'ptr':
      case 'typedef':
      case 'volatile':
      case 'const':
      case 'restrict':
      case 'type_tag':
      case 'func':
      case 'var':
      case 'decl_tag':
        ok(t.type, id, 'type');
        break;
      case 'array':
        ok(t.type, id, 'element type');
        ok(t.indexType, id, 'index type');
        break;
      case 'struct':
      case 'union':
        for (const m of t.members) ok(m.type, id, `member ${m.name}`);
        break;
      case 'func_proto':
        ok(t.returnType, id, 'return type');
        for (const p of t.params) ok(p.type, id, `param ${p.name}`);
        break;
      case 'datasec':
        for (const v of t.vars) ok(v.type, id, 'var');
        break;
      default:
        break;
    }
  });
}

/** Reads string `off` of a BTF blob's string section (for .BTF.ext, which names sections and lines by offset). */
export function btfString(btf: Btf, off: number, field: string): string {
  return stringAt(header(btf.raw, 'section .BTF'), off, field);
}
