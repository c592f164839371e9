// A program's func_info and line_info as BPF_PROG_LOAD wants them. The spec resolves line-info
// strings (file name, source text) to text; the kernel wants offsets into the string section of
// the BTF it loaded, so this finds them again in the raw bytes. Not a BTF parser (that is btf/).

import type { Btf } from '../btf/index.js';
import { LoadError } from '../errors.js';
import type { ProgramSpec } from '../program/index.js';
import type { KernelLineInfo, ProgramBtfInfo } from './program.js';

/** Offsets of the strings of one raw BTF blob (struct btf_header: hdr_len @4, str_off @16, str_len @20). */
export class BtfStringTable {
  private readonly bytes: Uint8Array;
  private readonly index = new Map<string, number>();

  constructor(btf: Btf) {
    const raw = btf.raw;
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const le = btf.littleEndian;
    const start = v.getUint32(4, le) + v.getUint32(16, le);
    this.bytes = raw.subarray(start, start + v.getUint32(20, le));
    const dec = new TextDecoder();
    let at = 0;
    while (at < this.bytes.length) {
      let end = this.bytes.indexOf(0, at);
      if (end < 0) end = this.bytes.length;
      const s = dec.decode(this.bytes.subarray(at, end));
      if (!this.index.has(s)) this.index.set(s, at);
      at = end + 1;
    }
  }

  /** The offset of a NUL-terminated `text` (possibly the tail of a longer string), or undefined. */
  offsetOf(text: string): number | undefined {
    const hit = this.index.get(text);
    if (hit !== undefined) return hit;
    // Deduplicating linkers may keep only a longer string that ends with this one.
    const needle = new TextEncoder().encode(`${text}\0`);
    for (
      let at = this.bytes.indexOf(needle[0] ?? 0);
      at >= 0;
      at = this.bytes.indexOf(needle[0] ?? 0, at + 1)
    ) {
      if (needle.every((b, k) => this.bytes[at + k] === b)) {
        this.index.set(text, at);
        return at;
      }
    }
    return undefined;
  }
}

/** The BTF part of BPF_PROG_LOAD for `program` against a BTF loaded as `btfFd`. */
export function programBtfInfo(program: ProgramSpec, btfFd: number, strings: BtfStringTable): ProgramBtfInfo {
  const lineInfo: KernelLineInfo[] = program.lineInfo.map((l) => {
    const fileNameOff = strings.offsetOf(l.file);
    const lineOff = strings.offsetOf(l.text);
    if (fileNameOff === undefined || lineOff === undefined) {
      const missing = fileNameOff === undefined ? l.file : l.text;
      throw new LoadError(
        'LOAD_ERROR',
        `program ${program.name}: line info string '${missing}' is not in the BTF string section`,
      );
    }
    return { insnOff: l.insnOff, fileNameOff, lineOff, line: l.line, column: l.column };
  });
  return {
    btfFd,
    funcInfo: program.funcInfo.map((f) => ({ insnOff: f.insnOff, typeId: f.typeId })),
    lineInfo,
  };
}
