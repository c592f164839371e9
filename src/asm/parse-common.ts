// Operand forms both syntaxes share: jump targets (`+0x3`, `-2`, `pc+3`, a label, with an
// optional objdump `<sym+0x..>` note after), memory operands, and every spelling of `call`
// (helper id, `pc+N`, `local`/`runtime`/`helper` modes, `kfunc`, the kernel's `name#id`, labels).

import { op } from '../isa/index.js';
import type { Cursor } from './cursor.js';
import { type LabelRef, type Statement, stmt } from './statement.js';

export type Target = { readonly delta: number } | { readonly label: LabelRef };

/** Skips objdump's `<prog+0x28>` note; it restates the offset before it. */
function skipNote(c: Cursor): void {
  if (c.isOp('<')) while (!c.atEnd()) c.next();
}

export function jumpTarget(c: Cursor, field: 'off' | 'imm', call = false): Target {
  const range = field === 'off' ? ([-0x8000, 0x7fff] as const) : ([-0x80000000, 0x7fffffff] as const);
  const what = field === 'off' ? 'a jump offset' : call ? 'a call offset' : 'a jump offset';
  let delta: number;
  if (c.isName('pc') && (c.isOp('+', 1) || c.isOp('-', 1))) {
    c.next();
    delta = c.number(range[0], range[1], what);
  } else if (c.isNumberStart()) {
    delta = c.number(range[0], range[1], what);
  } else if (c.peek().type === 'name') {
    const t = c.next();
    skipNote(c);
    return { label: { name: t.text, column: t.column, field, call } };
  } else {
    return c.fail(`${what} ('+3', '-0x2', 'pc+3') or a label`);
  }
  skipNote(c);
  return { delta };
}

function withTarget(s: Statement, t: Target, field: 'off' | 'imm'): Statement {
  if ('label' in t) return { insn: s.insn, label: t.label };
  s.insn[field] = t.delta;
  return s;
}

export function jumpStatement(opcode: number, dst: number, src: number, imm: number, t: Target): Statement {
  return withTarget(stmt(opcode, dst, src, 0, imm), t, 'off');
}

export function gotol(t: Target): Statement {
  return withTarget(stmt(op.OP_GOTOL, 0, 0, 0, 0), t, 'imm');
}

const kfunc = (c: Cursor): Statement => {
  const imm = c.imm32('a kfunc BTF id');
  const off = c.accept(',') ? c.off16('a BTF object index') : 0;
  return stmt(op.OP_CALL, 0, op.BPF_PSEUDO_KFUNC_CALL, off, imm);
};

const local = (t: Target): Statement => withTarget(stmt(op.OP_CALL, 0, op.BPF_PSEUDO_CALL, 0, 0), t, 'imm');

/** Everything after the word `call`. */
export function callOperand(c: Cursor): Statement {
  const t = c.peek();
  if (t.type === 'reg') return stmt(op.OP_CALLX, c.register().reg, 0, 0, 0);
  if (t.type === 'name') {
    if (t.text === 'helper' && (c.peek(1).type === 'reg' || c.isNumberStart(1))) {
      c.next();
      if (c.peek().type === 'reg') return stmt(op.OP_CALLX, c.register().reg, 0, 0, 0);
      return stmt(op.OP_CALL, 0, 0, 0, c.imm32('a helper id'));
    }
    if (t.text === 'local' && c.peek(1).type !== 'end') {
      c.next();
      return local(jumpTarget(c, 'imm', true));
    }
    if ((t.text === 'runtime' || t.text === 'kfunc') && c.isNumberStart(1)) {
      c.next();
      return kfunc(c);
    }
    if (t.text === 'pc' && (c.isOp('+', 1) || c.isOp('-', 1))) return local(jumpTarget(c, 'imm', true));
    // The kernel's `bpf_map_lookup_elem#1`, `unknown#7`, `kernel-function#42`.
    let k = 1;
    let name = t.text;
    while (c.isOp('-', k) && c.peek(k + 1).type === 'name') {
      name += `-${c.peek(k + 1).text}`;
      k += 2;
    }
    if (c.isOp('#', k)) {
      for (let n = 0; n <= k; n++) c.next();
      const id = c.imm32('a helper id');
      return name === 'kernel-function'
        ? stmt(op.OP_CALL, 0, op.BPF_PSEUDO_KFUNC_CALL, 0, id)
        : stmt(op.OP_CALL, 0, 0, 0, id);
    }
    return local(jumpTarget(c, 'imm', true));
  }
  if (c.isNumberStart()) return stmt(op.OP_CALL, 0, 0, 0, c.imm32('a helper id'));
  return c.fail("a helper id, a register, 'pc+N', 'local', 'runtime' or a label");
}

/** `[r1]`, `[r1+4]`, `[r1 - 0x8]`: the mnemonic syntax's memory operand. */
export function bracketMemory(c: Cursor): { base: number; off: number } {
  c.expect('[', "'[' (a memory operand like [r1+4])");
  const base = c.registerOf(false, 'an r register');
  let off = 0;
  if (c.isOp('+') || c.isOp('-')) off = c.off16('a memory offset');
  else if (!c.isOp(']')) c.fail("'+', '-' or ']'");
  c.expect(']');
  return { base, off };
}

/** `(r1 + 0x4)`, `(r1 +4)`, `(r1 - 8)`, `(r1)`: the pseudo-C memory operand, parentheses included. */
export function parenMemory(c: Cursor): { base: number; off: number } {
  c.expect('(', "'(' (a memory operand like (r1 + 4))");
  const m = bareMemory(c);
  c.expect(')');
  return m;
}

/** `r2 + 0x0`: the memory operand of xchg_64 and cmpxchg_64, without parentheses. */
export function bareMemory(c: Cursor): { base: number; off: number } {
  const base = c.registerOf(false, 'an r register');
  let off = 0;
  if (c.isOp('+') || c.isOp('-')) off = c.off16('a memory offset');
  return { base, off };
}
