// Several XDP programs on one device, with libxdp's multi-program semantics (xdp-tools'
// lib/libxdp/protocol.org): at most 10 programs, run in order of priority (lower first; default
// 50; equal priorities by program name), each program's verdict ending the chain unless it is in
// that program's chain-call actions (default: XDP_PASS only); a chain that runs out returns
// XDP_PASS. What the last program run set for a redirect is what the device acts on.

import { TsbpfError } from '../errors.js';
import type { XdpContext } from '../runtime/context/xdp.js';
import type { VmProgram } from '../runtime/vm/program.js';
import { XDP_ACTION_NAMES, XDP_PASS, type XdpActionName } from './actions.js';

/** XDP_DEFAULT_RUN_PRIO and MAX_DISPATCHER_ACTIONS (libxdp). */
export const XDP_DEFAULT_RUN_PRIO = 50;
export const MAX_DISPATCHER_PROGRAMS = 10;

export interface XdpDispatchEntry {
  readonly program: VmProgram;
  /** Default 50; lower runs first. */
  readonly priority?: number;
  /** Verdicts that go on to the next program; default ['PASS']. */
  readonly chainCallActions?: readonly XdpActionName[];
}

export class XdpDispatcher {
  /** The programs in run order with their chain-call bitmaps (bit n: action n continues). */
  readonly chain: readonly {
    readonly program: VmProgram;
    readonly priority: number;
    readonly mask: number;
  }[];

  constructor(entries: readonly XdpDispatchEntry[]) {
    if (entries.length === 0 || entries.length > MAX_DISPATCHER_PROGRAMS)
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `a dispatcher holds 1 to ${MAX_DISPATCHER_PROGRAMS} programs, not ${entries.length}`,
      );
    const host = entries[0]!.program.host;
    this.chain = entries
      .map((e) => {
        if (e.program.host !== host)
          throw new TsbpfError(
            'INVALID_ARGUMENT',
            'the programs of one dispatcher must come from one collection',
          );
        const priority = e.priority ?? XDP_DEFAULT_RUN_PRIO;
        if (!Number.isInteger(priority) || priority < 0)
          throw new TsbpfError('INVALID_ARGUMENT', `priority ${priority} of '${e.program.name}'`);
        let mask = 0;
        for (const a of e.chainCallActions ?? ['PASS']) {
          const bit = XDP_ACTION_NAMES.indexOf(a);
          if (bit < 0)
            throw new TsbpfError(
              'INVALID_ARGUMENT',
              `chain-call action '${a}' (${XDP_ACTION_NAMES.join(', ')})`,
            );
          mask |= 1 << bit;
        }
        return { program: e.program, priority, mask };
      })
      .sort(
        (a, b) =>
          a.priority - b.priority ||
          (a.program.name < b.program.name ? -1 : a.program.name > b.program.name ? 1 : 0),
      );
  }

  /** The first program (its collection holds the contexts). */
  get first(): VmProgram {
    return this.chain[0]!.program;
  }

  get name(): string {
    return `dispatcher(${this.chain.map((c) => c.program.name).join(',')})`;
  }

  /** Runs the chain on `ctx`; returns the verdict and the program that gave it. */
  run(ctx: XdpContext, cpu: number): { action: number; program: VmProgram } {
    let last = this.first;
    for (const c of this.chain) {
      last = c.program;
      const action = c.program.runOn(ctx, cpu);
      if (action > 31 || !((1 << action) & c.mask)) return { action, program: last };
    }
    return { action: XDP_PASS, program: last };
  }
}
