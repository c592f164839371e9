// The smallest BTF a program with callbacks needs: the kernel refuses a function address
// (`ld_imm64` src 4, bpf_loop's callback) without func_info ("missing btf func_info",
// kernel/bpf/verifier.c check_ld_imm) and wants every subprogram named by one FUNC record
// (check_btf_func), the callback's linkage static. One `int` type, one prototype with no
// parameters (the kernel does not match a static function's arguments against it), and a FUNC
// per subprogram. Layout from Documentation/bpf/btf.rst.

import { parseBtf } from '../../src/btf/index.js';
import type { Btf } from '../../src/btf/types.js';
import type { FuncInfo } from '../../src/program/types.js';

const BTF_MAGIC = 0xeb9f;
const HEADER = 24;
const KIND_INT = 1;
const KIND_PTR = 2;
const KIND_STRUCT = 4;
const KIND_FUNC = 12;
const KIND_FUNC_PROTO = 13;
const LINKAGE_STATIC = 0;
const LINKAGE_GLOBAL = 1;

/** A parameter of a global function: `int`, `ctx` (the program's context struct), `int*`, `void*`. */
export type GlobalParamText = 'int' | 'ctx' | 'int*' | 'void*';

/**
 * BTF and func_info for subprograms starting at `starts` (slot numbers, the first 0): the main
 * program global, the others static (as clang emits `static` callbacks), except those in
 * `globals` (by subprogram index): global, `int f(params)`. `ctx` names the context struct.
 */
export function funcBtf(
  starts: readonly number[],
  globals: ReadonlyMap<number, readonly GlobalParamText[]> = new Map(),
  ctx = 'xdp_md',
): { btf: Btf; funcInfo: FuncInfo[] } {
  const strings: number[] = [0];
  const str = (s: string): number => {
    const at = strings.length;
    for (const c of s) strings.push(c.charCodeAt(0));
    strings.push(0);
    return at;
  };
  const words: number[] = [];
  // [1] int: signed, 32 bits.
  words.push(str('int'), KIND_INT << 24, 4, (1 << 24) | 32);
  // [2] int (void): no parameters.
  words.push(0, KIND_FUNC_PROTO << 24, 1);
  // [3] struct <ctx> (its members do not matter to the kernel: it matches the name), [4] int *,
  // [5] struct <ctx> *, [6] void *.
  words.push(str(ctx), KIND_STRUCT << 24, 0);
  words.push(0, KIND_PTR << 24, 1);
  words.push(0, KIND_PTR << 24, 3);
  words.push(0, KIND_PTR << 24, 0);
  const PARAM_TYPE: Record<GlobalParamText, number> = { int: 1, ctx: 5, 'int*': 4, 'void*': 6 };
  let next = 7;
  const funcInfo: FuncInfo[] = [];
  starts.forEach((insnOff, k) => {
    const params = globals.get(k);
    let proto = 2;
    if (params !== undefined) {
      proto = next++;
      words.push(0, (KIND_FUNC_PROTO << 24) | params.length, 1);
      params.forEach((p, n) => {
        words.push(str(`a${n}`), PARAM_TYPE[p]);
      });
    }
    const linkage = k === 0 || params !== undefined ? LINKAGE_GLOBAL : LINKAGE_STATIC;
    const name = k === 0 ? 'main' : `sub${k}`;
    const id = next++;
    words.push(str(name), (KIND_FUNC << 24) | linkage, proto);
    funcInfo.push({ insnOff, typeId: id, name });
  });
  const typeLen = words.length * 4;
  const raw = new Uint8Array(HEADER + typeLen + strings.length);
  const v = new DataView(raw.buffer);
  v.setUint16(0, BTF_MAGIC, true);
  v.setUint8(2, 1); // version
  v.setUint8(3, 0); // flags
  v.setUint32(4, HEADER, true);
  v.setUint32(8, 0, true); // type_off
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true); // str_off
  v.setUint32(20, strings.length, true);
  words.forEach((w, k) => {
    v.setUint32(HEADER + k * 4, w >>> 0, true);
  });
  raw.set(strings, HEADER + typeLen);
  return { btf: parseBtf(raw, 'generated BTF'), funcInfo };
}
