// `tsbpf debug OBJ [--prog P] (--packet HEX | --data-in F [--index N])`: records one test run
// of a program on the interpreter and opens a gdb-like prompt over it (commands from stdin, so a
// script can be piped in); `tsbpf debug --dap` speaks the Debug Adapter Protocol on stdio instead.

import { createInterface } from 'node:readline';
import { intOption, parse, UsageError } from '../args.js';
import { serveDap } from '../dap.js';
import { DebugRepl } from '../debug-repl.js';
import { startSession } from '../debug-target.js';
import type { Output } from '../output.js';

export const debugUsage = `Usage: tsbpf debug OBJ [--prog NAME] (--packet HEX | --data-in FILE [--index N]) [--map-init FILE.json] [--no-verify]
       tsbpf debug --dap
  Records one run of a program over one packet (of a pcap: --index, default 0) on the
  interpreter, with the virtual clock, and debugs it with gdb's commands read from stdin:
  break, tbreak, delete, step, next, finish, continue, reverse-step, reverse-next,
  reverse-continue, print, x, info registers, info breakpoints, bt, list, quit ('help' lists
  all). --dap serves the Debug Adapter Protocol on stdin/stdout (docs/debugger.md).`;

export async function debugCommand(argv: string[], _out: Output): Promise<number> {
  const { values, positionals } = parse('debug', argv, {
    prog: { type: 'string' },
    packet: { type: 'string' },
    'data-in': { type: 'string' },
    index: { type: 'string' },
    'map-init': { type: 'string' },
    'no-verify': { type: 'boolean' },
    dap: { type: 'boolean' },
  });
  if (values.dap === true) {
    if (positionals.length > 0) throw new UsageError('debug --dap takes its object from the launch request');
    const code = await serveDap(process.stdin, process.stdout);
    process.stdin.destroy(); // the client may keep its end open after disconnect
    return code;
  }
  const [object] = positionals;
  if (object === undefined || positionals.length > 1) throw new UsageError(debugUsage);
  if (values.packet === undefined && values['data-in'] === undefined) throw new UsageError(debugUsage);
  const session = startSession({
    object,
    program: values.prog as string | undefined,
    packet: values.packet as string | undefined,
    dataIn: values['data-in'] as string | undefined,
    index: intOption('index', values.index as string | undefined, 0),
    mapInit: values['map-init'] as string | undefined,
    verify: values['no-verify'] !== true,
  });
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const repl = new DebugRepl(session, write);
  repl.start();
  const tty = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, terminal: tty });
  const prompt = () => {
    if (tty) process.stdout.write('(tsbpf) ');
  };
  prompt();
  for await (const line of rl) {
    if (!tty) write(`(tsbpf) ${line}`);
    if (!repl.run(line)) break;
    prompt();
  }
  rl.close();
  session.close();
  return 0;
}
