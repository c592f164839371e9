// buildCfg: the control-flow graph of a program's instructions, checked in the kernel's order
// (add_subprog "call to invalid destination", check_subprogs "jump out of range" and "last insn
// is not an exit or jmp", check_cfg "unreachable insn" and "jump into the middle of ldimm64"),
// each refusal a VerifierError with the kernel's log line and the pc.

import type { Instruction } from '../isa/instruction.js';
import { BPF_PSEUDO_FUNC } from '../isa/opcodes.js';
import { basicBlocks } from './blocks.js';
import { dominators } from './dominators.js';
import { isTailCall } from './flow.js';
import { type Layout, layout } from './layout.js';
import { backEdges, naturalLoops } from './loops.js';
import { reachable } from './reach.js';
import { checkSubprograms, subprogramOf, subprogramStarts } from './subprograms.js';
import type { CallSite, Cfg, Subprogram } from './types.js';

export interface CfgOptions {
  /**
   * Keep instructions the entry never reaches (listed in Cfg.unreachable) instead of refusing
   * them as the kernel does ("unreachable insn"). Default false.
   */
  readonly allowUnreachable?: boolean;
  /** The program's layout when the caller already made it (it must be `layout(insns)`). */
  readonly layout?: Layout;
}

const ascending = (a: number, b: number) => a - b;
const bySite = (a: CallSite, b: CallSite) => a.pc - b.pc;

export function buildCfg(insns: readonly Instruction[], options: CfgOptions = {}): Cfg {
  const l = options.layout ?? layout(insns);
  const starts = subprogramStarts(l);
  checkSubprograms(l, starts);
  const seen = reachable(l, { allowUnreachable: options.allowUnreachable ?? false });
  const { blocks, blockOf } = basicBlocks(l, starts, seen);

  const calls: CallSite[] = [];
  const callbacks: CallSite[] = [];
  const indirectCalls: number[] = [];
  const tailCalls: number[] = [];
  const exits: number[] = [];
  for (let k = 0; k < l.kinds.length; k++) {
    const kind = l.kinds[k]!;
    const pc = l.slotOf[k]!;
    const t = l.targets[k];
    if (kind.kind === 'call' && kind.target === 'local')
      calls.push({ pc, block: blockOf[pc]!, callee: subprogramOf(starts, t!) });
    else if (kind.kind === 'lddw' && kind.pseudo === BPF_PSEUDO_FUNC)
      callbacks.push({ pc, block: blockOf[pc]!, callee: subprogramOf(starts, t!) });
    else if (kind.kind === 'callx') indirectCalls.push(pc);
    else if (kind.kind === 'exit') exits.push(pc);
    if (kind.kind === 'call' && isTailCall(l.insns[k]!, kind)) tailCalls.push(pc);
  }

  const subprograms: Subprogram[] = starts.map((start, index) => {
    const end = starts[index + 1] ?? l.slots;
    const own = (c: CallSite) => blocks[c.block]!.subprogram === index;
    const callees = (sites: CallSite[]) =>
      [...new Set(sites.filter(own).map((c) => c.callee))].sort(ascending);
    const ids: number[] = [];
    for (let b = blockOf[start]!; b < blocks.length && blocks[b]!.start < end; b++) ids.push(b);
    return {
      index,
      start,
      end,
      entry: blockOf[start]!,
      blocks: ids,
      callees: callees(calls),
      callbacks: callees(callbacks),
    };
  });

  const idom = new Array<number>(blocks.length).fill(-1);
  for (const sub of subprograms) dominators(blocks, sub, idom);
  const back = backEdges(blocks, idom);
  const unreachable: number[] = [];
  for (let k = 0; k < l.slotOf.length; k++) if (seen[l.slotOf[k]!] !== 1) unreachable.push(l.slotOf[k]!);

  return {
    slots: l.slots,
    blocks,
    blockOf,
    subprograms,
    calls: calls.sort(bySite),
    callbacks: callbacks.sort(bySite),
    indirectCalls,
    tailCalls,
    exits,
    idom,
    backEdges: back,
    loops: naturalLoops(blocks, idom, back),
    unreachable,
  };
}
