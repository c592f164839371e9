// The assembler: text in either syntax (or both, decided line by line) to instruction records.
// It strips comments, slot addresses (`12:`) and kernel opcode prefixes (`(b7)`), collects
// labels, parses each line, then resolves label operands to slot offsets (lddw counts two).
// Every problem is an AsmError with a 1-based line and column; it never returns half a program.

import { AsmError, NotSupportedError } from '../errors.js';
import { type Instruction, slots } from '../isa/index.js';
import { Cursor } from './cursor.js';
import { tokenize } from './lexer.js';
import type { AssembleOptions } from './options.js';
import { parseMnemonic } from './parse-mnemonic.js';
import { PSEUDO_WORDS, parsePseudo } from './parse-pseudo.js';
import { splitLines } from './source.js';
import type { Statement } from './statement.js';

/** Assembler directives of LLVM's output that carry nothing for a single program. */
const IGNORED_DIRECTIVES = new Set([
  '.text',
  '.data',
  '.section',
  '.globl',
  '.global',
  '.local',
  '.weak',
  '.hidden',
  '.p2align',
  '.align',
  '.type',
  '.size',
  '.file',
  '.loc',
  '.ident',
  '.addrsig',
  '.addrsig_sym',
  '.previous',
  '.pushsection',
  '.popsection',
]);

/** Newer kernel instructions the ISA layer does not model yet (JCOND, gotox, acquire/release). */
export const UNSUPPORTED = new Set(['may_goto', 'gotox', 'load_acquire', 'store_release', 'addr_space_cast']);

interface Placed {
  readonly s: Statement;
  readonly line: number;
  readonly slot: number;
}

function isPseudoLine(c: Cursor): boolean {
  const t = c.peek();
  if (t.type === 'reg' || c.isOp('*')) return true;
  if (t.type !== 'name') return false;
  if (PSEUDO_WORDS.has(t.text)) return true;
  if (t.text === 'lock') return c.isOp('*', 1);
  return false;
}

/** Assembles `text`; see AssembleOptions for the syntax choice. */
export function assemble(text: string, options: AssembleOptions = {}): Instruction[] {
  const syntax = options.syntax ?? 'auto';
  const placed: Placed[] = [];
  const labels = new Map<string, { slot: number; line: number }>();
  const symbolAt = new Map<number, string>();
  let slot = 0;
  for (const { line, text: lineText } of splitLines(text)) {
    // The kernel log's `(b7)` opcode prefix: checked against the instruction, and the only way
    // to tell `(18) r1 = 0x5` (lddw) from `r1 = 5` (mov) in that style. Cut before tokenizing:
    // `(1f)` is not a number.
    let prefix: { op: number; column: number } | undefined;
    let body = lineText;
    const pm = /^(\s*(?:\d+:\s*)?)\(([0-9a-fA-F]{2})\)(?=\s)/.exec(lineText);
    if (pm !== null) {
      prefix = { op: Number.parseInt(pm[2]!, 16), column: pm[1]!.length + 1 };
      body = pm[1]! + ' '.repeat(4) + lineText.slice(pm[0].length);
    }
    const c = new Cursor(tokenize(body, line), line);
    // `12:` as objdump and the verifier log number their lines.
    if (c.peek().type === 'num' && c.isOp(':', 1)) {
      c.next();
      c.next();
    }
    while (c.peek().type === 'name' && c.isOp(':', 1)) {
      const t = c.next();
      c.next();
      const seen = labels.get(t.text);
      if (seen !== undefined)
        throw new AsmError(`label '${t.text}' is already defined on line ${seen.line}`, line, t.column);
      labels.set(t.text, { slot, line });
      if (!symbolAt.has(slot)) symbolAt.set(slot, t.text);
    }
    if (c.atEnd()) continue;
    const first = c.peek();
    if (first.type === 'name' && first.text.startsWith('.')) {
      if (IGNORED_DIRECTIVES.has(first.text) || first.text.startsWith('.cfi_')) continue;
      throw new AsmError(`unsupported directive '${first.text}'`, line, first.column);
    }
    if (first.type === 'name' && UNSUPPORTED.has(first.text))
      throw new NotSupportedError(first.text, `line ${line}`);
    const pseudo = syntax === 'pseudo-c' || (syntax === 'auto' && isPseudoLine(c));
    const s = pseudo ? parsePseudo(c, { wideLoad: prefix?.op === 0x18 }) : parseMnemonic(c);
    if (prefix !== undefined && prefix.op !== s.insn.op) {
      const hex = (n: number) => n.toString(16).padStart(2, '0');
      throw new AsmError(
        `opcode prefix (${hex(prefix.op)}) does not match the instruction, which encodes as (${hex(s.insn.op)})`,
        line,
        prefix.column,
      );
    }
    placed.push({ s, line, slot });
    slot += slots(s.insn);
  }
  // bpf_conformance lets `exit` name the first exit instruction when no label says otherwise.
  const firstExit = placed.find((p) => p.s.insn.op === 0x95);
  const out: Instruction[] = [];
  for (const p of placed) {
    const insn = p.s.insn;
    const ref = p.s.label;
    if (ref !== undefined) {
      const at = labels.get(ref.name)?.slot ?? (ref.name === 'exit' ? firstExit?.slot : undefined);
      if (at === undefined) {
        if (!ref.call) throw new AsmError(`undefined label '${ref.name}'`, p.line, ref.column);
        // A call to a function outside this text: left for the linker, as clang leaves it.
        insn.imm = -1;
        insn.reference = ref.name;
      } else {
        const delta = at - (p.slot + 1);
        const limit = ref.field === 'off' ? 0x8000 : 0x80000000;
        if (delta < -limit || delta >= limit) {
          throw new AsmError(
            `'${ref.name}' is ${delta} slots away, beyond the 16-bit jump offset (use gotol)`,
            p.line,
            ref.column,
          );
        }
        insn[ref.field] = delta;
      }
    }
    const symbol = symbolAt.get(p.slot);
    out.push(symbol === undefined ? insn : { ...insn, symbol });
  }
  return out;
}
