// The tsbpf command line: `tsbpf OBJECT COMMAND [ARGS]` in bpftool's grammar, every command
// with --json. main() returns the exit code and never throws for user errors.

import { asmCommand, asmUsage } from './commands/asm.js';
import { debugCommand, debugUsage } from './commands/debug.js';
import { disasmCommand, disasmUsage } from './commands/disasm.js';
import { genCommand, genUsage } from './commands/gen.js';
import { mapCommand, mapUsage } from './commands/map.js';
import { progCommand, progUsage } from './commands/prog.js';
import { runCommand, runUsage } from './commands/run.js';
import { xdpCommand, xdpUsage } from './commands/xdp.js';
import { makeOutput, type Output, reportError } from './output.js';

type Command = (argv: string[], out: Output) => number | Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  asm: { run: asmCommand, usage: asmUsage },
  debug: { run: debugCommand, usage: debugUsage },
  disasm: { run: disasmCommand, usage: disasmUsage },
  gen: { run: genCommand, usage: genUsage },
  map: { run: mapCommand, usage: mapUsage },
  prog: { run: progCommand, usage: progUsage },
  run: { run: runCommand, usage: runUsage },
  xdp: { run: xdpCommand, usage: xdpUsage },
};

const USAGE = `Usage: tsbpf COMMAND [ARGS] [--json]

Commands:
${Object.values(COMMANDS)
  .map((c) => c.usage.split('\n')[0]!.replace('Usage: ', '  '))
  .join('\n')}

Run 'tsbpf COMMAND --help' for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  // `tsbpf ... | head` closes the pipe early: stop quietly, as other command-line tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const json = argv.includes('--json') || argv.includes('-j');
  const args = argv.map((a) => (a === '-j' ? '--json' : a));
  const [name, ...rest] = args;
  const out = makeOutput(json);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`Error: unknown command '${name}'\n\n${USAGE}\n`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, out);
  } catch (e) {
    return reportError(e, json);
  }
}
