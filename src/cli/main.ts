// The tsbpf command line: `tsbpf [OPTIONS] OBJECT COMMAND [ARGS]` in bpftool's grammar, every
// command with --json. main() returns the exit status (exit.ts) and never throws: a user's
// mistake is one line on stderr, a bug in tsbpf is one line too (its stack only under -d).

import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { asmCommand, asmUsage } from './commands/asm.js';
import { debugCommand, debugUsage } from './commands/debug.js';
import { disasmCommand, disasmUsage } from './commands/disasm.js';
import { genCommand, genUsage } from './commands/gen.js';
import { mapCommand, mapUsage } from './commands/map.js';
import { netCommand, netUsage } from './commands/net.js';
import { progCommand, progUsage } from './commands/prog.js';
import { runCommand, runUsage } from './commands/run.js';
import { xdpCommand, xdpUsage } from './commands/xdp.js';
import { EXIT_ERROR, EXIT_OK } from './exit.js';
import { type Io, makeOutput, type Output, processIo, reportError } from './output.js';

type Command = (argv: string[], out: Output) => number | Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  asm: { run: asmCommand, usage: asmUsage },
  debug: { run: debugCommand, usage: debugUsage },
  disasm: { run: disasmCommand, usage: disasmUsage },
  gen: { run: genCommand, usage: genUsage },
  map: { run: mapCommand, usage: mapUsage },
  net: { run: netCommand, usage: netUsage },
  prog: { run: progCommand, usage: progUsage },
  run: { run: runCommand, usage: runUsage },
  xdp: { run: xdpCommand, usage: xdpUsage },
};

/** Every command form of every usage text (the lines that start a `tsbpf ...` synopsis). */
function synopses(): string[] {
  return Object.values(COMMANDS).flatMap((c) =>
    c.usage
      .split('\n')
      .filter((l) => /^(Usage: |\s+)tsbpf /.test(l))
      .map((l) => `  ${l.replace(/^Usage: /, '').trim()}`),
  );
}

const OPTIONS = `Options (anywhere on the line):
  -j, --json      one JSON document on stdout (errors as {"error": ...})
  -p, --pretty    indented JSON (implies --json)
  -d, --debug     all the logs there are (the verifier's at level 2; a bug's stack)
  -V, --version   the version of tsbpf
  -h, --help      this text; 'tsbpf COMMAND help' for a command's options`;

function usage(): string {
  return `Usage: tsbpf [OPTIONS] COMMAND [ARGS]\n\nCommands:\n${synopses().join('\n')}\n\n${OPTIONS}`;
}

export function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const GLOBAL = new Map([
  ['-j', 'json'],
  ['--json', 'json'],
  ['-p', 'pretty'],
  ['--pretty', 'pretty'],
  ['-d', 'debug'],
  ['--debug', 'debug'],
]);

/** Takes the global options out of argv (up to a `--`), as bpftool's getopt does anywhere. */
function globalOptions(argv: string[]): { rest: string[]; flags: Set<string> } {
  const flags = new Set<string>();
  const rest: string[] = [];
  let literal = false;
  for (const a of argv) {
    const flag = literal ? undefined : GLOBAL.get(a);
    if (a === '--') literal = true;
    if (flag === undefined) rest.push(a);
    else flags.add(flag);
  }
  return { rest, flags };
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  if (io === processIo) {
    // `tsbpf ... | head` closes the pipe early: stop quietly, as other command-line tools do.
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(EXIT_OK);
      throw e;
    });
  }
  const { rest: args, flags } = globalOptions(argv);
  const json = flags.has('json') || flags.has('pretty');
  const out = makeOutput(json, io, { pretty: flags.has('pretty'), debug: flags.has('debug') });
  const [name, ...rest] = args;
  if (name === '-V' || name === '--version' || name === 'version') {
    if (json) out.data({ version: version() });
    else io.out(`tsbpf v${version()}\n`);
    return EXIT_OK;
  }
  if (name === undefined) {
    io.err(`${usage()}\n`);
    return EXIT_ERROR;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(`${usage()}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS[name];
  if (command === undefined)
    return reportError(
      new UsageError(
        `unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}; see 'tsbpf help')`,
      ),
      out,
    );
  if (rest[0] === 'help' || rest.includes('--help') || rest.includes('-h')) {
    io.out(`${command.usage}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(rest, out);
  } catch (e) {
    return reportError(e, out);
  }
}
