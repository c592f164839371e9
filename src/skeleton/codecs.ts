// BTF types → TypeScript types and codecs, as source text for a generated skeleton. Each C type
// becomes a TypeScript type plus a read expression and a write statement over a DataView at
// the compiler's offsets (little-endian; padding is skipped on read and left untouched on write).
// Named structs, unions and enums are declared once and exported with a codec of the same name.
// Mapping: ints up to 32 bits and enums → number (enums as a union of their values), 64-bit ints,
// enum64 and pointers → bigint, bool → boolean, float/double → number, arrays of bytes →
// Uint8Array, other arrays → T[], structs → interfaces, unions → interfaces of optional members,
// bitfields → number (bigint when the declared type is 64-bit). Anything else is refused with
// a NotSupportedError that the generator turns into a raw-bytes handle.

import type { Btf, BtfMember, BtfType, MemberBits } from '../btf/index.js';
import { memberBits, resolveId, sizeOf, typeById } from '../btf/index.js';
import { assertNever, NotSupportedError } from '../errors.js';
import { HELPERS, type HelperName } from './helpers.js';
import { commentText, type Namer, pascalCase, propertyAccess, propertyKey, quote } from './names.js';

/** One C type as code: its TypeScript type, size, and how to read and write it. */
export interface Coded {
  readonly type: string;
  readonly size: number;
  /** The exported Codec constant of a declared record, when there is one. */
  readonly codecName?: string;
  /** An expression reading the value at byte offset `o` of DataView `v`. */
  read(v: string, o: string): string;
  /** A statement writing expression `x` at `o`; `where` is an expression naming it for errors. */
  write(v: string, o: string, x: string, where: string): string;
}

/** A field of a record: a struct member or a section's variable. */
export interface Field {
  readonly key: string;
  /** Byte offset in the record (0 for bitfields, which carry their bit position). */
  readonly offset: number;
  readonly coded: Coded;
}

const at = (o: string, off: number): string => (off === 0 ? o : `${o} + ${off}`);
const whereOf = (where: string, suffix: string): string => `${where} + ${quote(suffix)}`;

/** Turns BTF types into Coded values, collecting the declarations and helpers they need. */
export class CodecEmitter {
  readonly #btf: Btf | undefined;
  readonly #namer: Namer;
  readonly #named = new Map<number, Coded>();
  /** Declarations (types, read/write functions, codec constants) in dependency order. */
  readonly declarations: string[] = [];
  readonly helpers = new Set<HelperName>();

  /** Without BTF only raw bytes and plain integers can be coded. */
  constructor(btf: Btf | undefined, namer: Namer) {
    if (btf !== undefined && !btf.littleEndian)
      throw new NotSupportedError('skeletons of big-endian objects');
    this.#btf = btf;
    this.#namer = namer;
  }

  use(name: HelperName): string {
    this.helpers.add(name);
    for (const dep of HELPERS[name].uses) this.helpers.add(dep);
    return name;
  }

  /** The Coded value of type `id`; `context` names an anonymous struct, union or enum. */
  coded(id: number, context: string): Coded {
    const btf = this.#types();
    return this.#coded(btf, id, context);
  }

  /** A u32 (the key of a global-data map). */
  u32(): Coded {
    return this.#number(4, false);
  }

  #coded(btf: Btf, id: number, context: string): Coded {
    let cur = id;
    let name = context;
    // Follow typedefs and qualifiers; an anonymous record takes the nearest typedef's name.
    for (let depth = 0; depth < 32; depth++) {
      const t = typeById(btf, cur);
      if (t.kind === 'typedef') name = t.name;
      if (!['typedef', 'const', 'volatile', 'restrict', 'type_tag'].includes(t.kind)) break;
      cur = (t as { type: number }).type;
    }
    cur = resolveId(btf, cur);
    const t = typeById(btf, cur);
    switch (t.kind) {
      case 'int':
        return this.#int(t, cur);
      case 'ptr':
        return this.#bigint(false);
      case 'float':
        return this.#float(t.size, cur);
      case 'enum':
      case 'enum64':
        return this.#enum(t, cur, name);
      case 'array':
        return this.#array(t.type, t.nelems, name);
      case 'struct':
      case 'union':
        return this.#record(t, cur, name);
      case 'void':
      case 'fwd':
      case 'func':
      case 'func_proto':
      case 'var':
      case 'datasec':
      case 'decl_tag':
      case 'typedef':
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
        throw new NotSupportedError(`a ${t.kind} (BTF type ${cur}) as a value in a skeleton`);
      default:
        return assertNever(t, 'BTF kind');
    }
  }

  #types(): Btf {
    if (this.#btf === undefined) throw new NotSupportedError('typed values of an object without BTF');
    return this.#btf;
  }

  /** A Codec expression for `coded` (its constant, or an inline codec). */
  codecOf(coded: Coded, label: string): string {
    if (coded.codecName !== undefined) return coded.codecName;
    const c = this.use('codec');
    const read = `(v, o) => ${coded.read('v', 'o')}`;
    const write = `(v, o, x, where) => {\n  ${coded.write('v', 'o', 'x', 'where')}\n}`;
    return `${c}<${coded.type}>(${quote(label)}, ${coded.size}, ${read}, ${write})`;
  }

  /** Raw bytes of a fixed length (arrays of 1-byte integers, types without a codec). */
  bytes(size: number): Coded {
    const rd = this.use('rdBytes');
    const wr = this.use('wrBytes');
    return {
      type: 'Uint8Array',
      size,
      read: (v, o) => `${rd}(${v}, ${o}, ${size})`,
      write: (v, o, x, w) => `${wr}(${v}, ${o}, ${size}, ${x}, ${w});`,
    };
  }

  #int(t: Extract<BtfType, { kind: 'int' }>, id: number): Coded {
    if (t.bitOffset !== 0 || t.bits !== t.size * 8) {
      throw new NotSupportedError(`an int with a bit offset or width (BTF type ${id}) outside a struct`);
    }
    if (t.bool && t.size === 1) {
      const rd = this.use('rdBool');
      const wr = this.use('wrBool');
      return {
        type: 'boolean',
        size: 1,
        read: (v, o) => `${rd}(${v}, ${o})`,
        write: (v, o, x, w) => `${wr}(${v}, ${o}, ${x}, ${w});`,
      };
    }
    if (t.size === 1 || t.size === 2 || t.size === 4) return this.#number(t.size, t.signed);
    if (t.size === 8) return this.#bigint(t.signed);
    // __int128 and odd sizes: exact bytes rather than a lossy number.
    return this.bytes(t.size);
  }

  #number(size: 1 | 2 | 4, signed: boolean): Coded {
    const rd = this.use('rdInt');
    const wr = this.use('wrInt');
    return {
      type: 'number',
      size,
      read: (v, o) => `${rd}(${v}, ${o}, ${size}, ${signed})`,
      write: (v, o, x, w) => `${wr}(${v}, ${o}, ${size}, ${signed}, ${x}, ${w});`,
    };
  }

  #bigint(signed: boolean): Coded {
    const rd = this.use('rdBig');
    const wr = this.use('wrBig');
    return {
      type: 'bigint',
      size: 8,
      read: (v, o) => `${rd}(${v}, ${o}, ${signed})`,
      write: (v, o, x, w) => `${wr}(${v}, ${o}, ${signed}, ${x}, ${w});`,
    };
  }

  #float(size: number, id: number): Coded {
    if (size !== 4 && size !== 8) return this.bytes(sizeOf(this.#types(), id));
    const rd = this.use('rdFloat');
    const wr = this.use('wrFloat');
    return {
      type: 'number',
      size,
      read: (v, o) => `${rd}(${v}, ${o}, ${size})`,
      write: (v, o, x, w) => `${wr}(${v}, ${o}, ${size}, ${x}, ${w});`,
    };
  }

  #enum(t: Extract<BtfType, { kind: 'enum' | 'enum64' }>, id: number, context: string): Coded {
    const done = this.#named.get(id);
    if (done !== undefined) return done;
    const wide = t.size === 8;
    const base =
      t.size === 1 || t.size === 2 || t.size === 4
        ? this.#number(t.size, t.signed)
        : wide
          ? this.#bigint(t.signed)
          : undefined;
    if (base === undefined) throw new NotSupportedError(`an enum of ${t.size} bytes (BTF type ${id})`);
    const literal = (x: number | bigint): string => (wide ? `${BigInt(x)}n` : `${Number(x)}`);
    const name = this.#namer.claim(pascalCase(t.name || context));
    const values = [...new Set(t.values.map((e) => literal(e.value)))];
    const consts = t.values.map((e) => `  ${propertyKey(e.name)}: ${literal(e.value)},`);
    this.declarations.push(
      [
        `/** enum ${commentText(t.name) || '(anonymous)'}: a value of the C enum (C lets it hold others of its size too). */`,
        `export type ${name} = ${values.length === 0 ? (wide ? 'bigint' : 'number') : values.join(' | ')};`,
        `export const ${name} = {`,
        ...consts,
        '} as const;',
      ].join('\n'),
    );
    // The value passes through as its integer: a C enum may hold values it does not name.
    const coded: Coded = {
      type: name,
      size: t.size,
      read: (v, o) => `${base.read(v, o)} as ${name}`,
      write: base.write,
    };
    this.#named.set(id, coded);
    return coded;
  }

  #array(elemId: number, n: number, context: string): Coded {
    const elem = this.coded(elemId, context);
    const r = typeById(this.#types(), resolveId(this.#types(), elemId));
    if (r.kind === 'int' && r.size === 1 && !r.bool) return this.bytes(n);
    const rd = this.use('rdArray');
    const wr = this.use('wrArray');
    const stride = elem.size;
    return {
      type: /^[A-Za-z0-9_$]+$/.test(elem.type) ? `${elem.type}[]` : `(${elem.type})[]`,
      size: stride * n,
      read: (v, o) => `${rd}(${v}, ${o}, ${n}, ${stride}, (v, o) => ${elem.read('v', 'o')})`,
      write: (v, o, x, w) =>
        `${wr}(${v}, ${o}, ${n}, ${stride}, ${x}, ${w}, (v, o, x, w) => { ${elem.write('v', 'o', 'x', 'w')} });`,
    };
  }

  #record(t: Extract<BtfType, { kind: 'struct' | 'union' }>, id: number, context: string): Coded {
    const done = this.#named.get(id);
    if (done !== undefined) return done;
    const name = this.#namer.claim(pascalCase(t.name || context));
    const coded: Coded = {
      type: name,
      size: t.size,
      codecName: name,
      read: (v, o) => `read${name}(${v}, ${o})`,
      write: (v, o, x, w) => `write${name}(${v}, ${o}, ${x}, ${w});`,
    };
    // Registered before the members, so a pointer cycle cannot recurse (pointers are bigints anyway).
    this.#named.set(id, coded);
    const union = t.kind === 'union';
    const what = `${t.kind} ${t.name || '(anonymous)'}: ${t.size} bytes${union ? '; decoding gives every member, encoding writes those present, in order' : ''}`;
    this.declareRecord(name, t.name || name, what, t.size, this.#fields(t.members, name), union);
    return coded;
  }

  /**
   * Declares interface `name` with its read/write functions and `export const name: Codec`.
   * Writing sets the fields only: bytes between them (padding, or data a section does not
   * name) keep what the buffer held.
   */
  declareRecord(
    name: string,
    label: string,
    doc: string,
    size: number,
    fields: readonly Field[],
    union: boolean,
  ): void {
    const optional = union ? '?' : '';
    const need = this.use('need');
    const codec = this.use('codec');
    const reads = fields.map((f) => `    ${propertyKey(f.key)}: ${f.coded.read('v', at('o', f.offset))},`);
    this.declarations.push(
      [
        `/** ${commentText(doc)}. */`,
        `export interface ${name} {`,
        ...fields.map((f) => `  ${propertyKey(f.key)}${optional}: ${f.coded.type};`),
        '}',
        `function read${name}(${fields.length === 0 ? '_v' : 'v'}: DataView, ${fields.length === 0 ? '_o' : 'o'}: number): ${name} {`,
        ...(fields.length === 0 ? ['  return {};'] : ['  return {', ...reads, '  };']),
        '}',
        `function write${name}(${fields.length === 0 ? '_v' : 'v'}: DataView, ${fields.length === 0 ? '_o' : 'o'}: number, x: ${name}, where: string): void {`,
        `  ${need}(x, where);`,
        ...fields.map((f) => {
          const x = `x${propertyAccess(f.key)}`;
          const stmt = f.coded.write('v', at('o', f.offset), x, whereOf('where', `.${f.key}`));
          return union ? `  if (${x} !== undefined) ${stmt}` : `  ${stmt}`;
        }),
        '}',
        `export const ${name}: Codec<${name}> = ${codec}(${quote(label)}, ${size}, read${name}, write${name});`,
      ].join('\n'),
    );
  }

  /** The members of a struct or union as fields; unnamed bitfields (padding) are left out. */
  #fields(members: readonly BtfMember[], owner: string): Field[] {
    const out: Field[] = [];
    members.forEach((m, k) => {
      const bits = this.#bitfield(m);
      if (bits === undefined && m.name === '' && !this.#isRecord(m.type)) return;
      const key = m.name === '' ? `_anon${k}` : m.name;
      if (bits !== undefined) {
        if (m.name === '') return;
        out.push({ key, offset: 0, coded: this.#bits(m, bits) });
        return;
      }
      out.push({ key, offset: m.bitOffset / 8, coded: this.coded(m.type, `${owner}${pascalCase(key)}`) });
    });
    return out;
  }

  #isRecord(id: number): boolean {
    const k = typeById(this.#types(), resolveId(this.#types(), id)).kind;
    return k === 'struct' || k === 'union';
  }

  /** Bit position and width of a bitfield member (either BTF encoding), or undefined. */
  #bitfield(m: BtfMember): MemberBits | undefined {
    const bits = memberBits(this.#types(), m);
    if (bits === undefined && m.bitOffset % 8 !== 0)
      throw new NotSupportedError(`member '${m.name}' at bit offset ${m.bitOffset}`);
    return bits;
  }

  #bits(m: BtfMember, b: MemberBits): Coded {
    const { pos, width, type: int } = b;
    const signed = (int.kind === 'int' || int.kind === 'enum' || int.kind === 'enum64') && int.signed;
    const size = 'size' in int ? int.size : 0;
    const rd = this.use('rdBits');
    const wr = this.use('wrBits');
    const args = `${pos}, ${width}, ${signed}`;
    if (int.kind === 'int' && int.bool) {
      const flag = this.use('flagBits');
      return {
        type: 'boolean',
        size: 0,
        read: (v, o) => `${rd}(${v}, ${o}, ${args}) !== 0n`,
        write: (v, o, x, w) => `${wr}(${v}, ${o}, ${args}, ${flag}(${x}, ${w}), ${w});`,
      };
    }
    if (int.kind !== 'int' && int.kind !== 'enum' && int.kind !== 'enum64') {
      throw new NotSupportedError(`bitfield '${m.name}' of a ${int.kind}`);
    }
    if (size === 8) {
      return {
        type: 'bigint',
        size: 0,
        read: (v, o) => `${rd}(${v}, ${o}, ${args})`,
        write: (v, o, x, w) => `${wr}(${v}, ${o}, ${args}, ${x}, ${w});`,
      };
    }
    const num = this.use('intBits');
    return {
      type: 'number',
      size: 0,
      read: (v, o) => `Number(${rd}(${v}, ${o}, ${args}))`,
      write: (v, o, x, w) => `${wr}(${v}, ${o}, ${args}, ${num}(${x}, ${w}), ${w});`,
    };
  }
}
