// The terminal debugger's commands, gdb's words over a DebugSession: break/tbreak/delete,
// step/next/stepi/finish/continue and their reverse-* forms, print, x, display, watch, info
// registers/breakpoints/maps/packet, bt, list. One command line in, text out; the stdin loop
// and the stop banner's source lines are in commands/debug.ts.

import {
  type DebugBreakpoint,
  type DebugDirection,
  type DebugSession,
  type DebugStop,
  TsbpfError,
  verdictName,
} from '../index.js';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const REG_NAMES = Array.from({ length: 11 }, (_, k) => `r${k}`);

export const DEBUG_HELP = `Commands (gdb's words; the run is recorded, so every motion also runs backwards):
  break LOC [if COND] | tbreak LOC    LOC: LINE, FILE:LINE, *PC, *PC@PROG
  catch helper [NAME] | catch map [NAME] | catch fault
  watch EXPR                          stop where EXPR's value changes
  delete [N]                          delete breakpoint N (all without N)
  step | next | stepi | finish | continue      (s, n, si, fin, c)
  reverse-step | reverse-next | reverse-stepi | reverse-finish | reverse-continue  (rs, rn, rsi, rc)
  print EXPR | display EXPR | x/NFU EXPR (U: b h w g)
  info registers | info breakpoints | info maps | info packet | info context | info display
  bt | list | goto POSITION | quit
EXPR: r0-r10, w0-w10, numbers, *(u32 *)(r10 - 4), pkt[14], pkt, pkt_end, ctx.FIELD, MAP[KEY], C operators.`;

export class DebugRepl {
  readonly #s: DebugSession;
  readonly #out: (line: string) => void;
  readonly #displays: string[] = [];

  constructor(session: DebugSession, out: (line: string) => void) {
    this.#s = session;
    this.#out = out;
  }

  /** Prints where the session starts. */
  start(): void {
    const s = this.#s;
    const end = s.end;
    this.#out(
      `Recorded ${s.length} instructions of ${s.program.name}: ${
        end.kind === 'exit'
          ? `exited with ${end.retval} (${verdictName(s.program.type, end.retval)})`
          : `faulted: ${end.error.message}`
      }`,
    );
    this.#banner({ reason: 'start', location: s.location() });
  }

  /** Runs one command line; false when the user quit. */
  run(line: string): boolean {
    const text = line.trim();
    if (text === '') return true;
    const [word = '', ...rest] = text.split(/\s+/);
    const arg = text.slice(word.length).trim();
    try {
      return this.#dispatch(word, arg, rest);
    } catch (e) {
      if (e instanceof TsbpfError) {
        this.#out(e.message);
        return true;
      }
      throw e;
    }
  }

  #dispatch(word: string, arg: string, rest: string[]): boolean {
    const s = this.#s;
    const motion = (stop: DebugStop) => this.#banner(stop);
    const dir = (reverse: boolean): DebugDirection => (reverse ? 'backward' : 'forward');
    if (word.startsWith('x/') || word === 'x') {
      this.#examine(word, arg);
      return true;
    }
    switch (word) {
      case 'q':
      case 'quit':
        return false;
      case 'h':
      case 'help':
        this.#out(DEBUG_HELP);
        return true;
      case 'b':
      case 'break':
      case 'tbreak': {
        const b = s.addBreakpoint(this.#location(arg), word === 'tbreak');
        const where =
          b.resolved === undefined ? arg : `${b.resolved.file.split('/').pop()}:${b.resolved.line}`;
        this.#out(`${word === 'tbreak' ? 'Temporary breakpoint' : 'Breakpoint'} ${b.id} at ${where}`);
        return true;
      }
      case 'catch': {
        const [what, name] = rest;
        let bp: DebugBreakpoint;
        if (what === 'helper')
          bp = name === undefined ? { kind: 'helper' } : { kind: 'helper', helper: name };
        else if (what === 'map') bp = name === undefined ? { kind: 'map' } : { kind: 'map', map: name };
        else if (what === 'fault') bp = { kind: 'fault' };
        else throw new TsbpfError('INVALID_ARGUMENT', 'catch helper [NAME] | catch map [NAME] | catch fault');
        this.#out(`Catchpoint ${s.addBreakpoint(bp).id} (${rest.join(' ')})`);
        return true;
      }
      case 'watch':
        this.#out(`Watchpoint ${s.addBreakpoint({ kind: 'change', expression: arg }).id}: ${arg}`);
        return true;
      case 'd':
      case 'delete':
        if (arg === '') s.clearBreakpoints();
        else if (!s.deleteBreakpoint(Number(arg))) this.#out(`No breakpoint number ${arg}.`);
        return true;
      case 's':
      case 'step':
      case 'rs':
      case 'reverse-step':
        motion(s.stepLine(dir(word.startsWith('r'))));
        return true;
      case 'n':
      case 'next':
      case 'rn':
      case 'reverse-next':
        motion(s.next(dir(word.startsWith('r'))));
        return true;
      case 'si':
      case 'stepi':
      case 'ni':
      case 'nexti':
      case 'rsi':
      case 'reverse-stepi':
        motion(s.stepInstruction(dir(word.startsWith('r'))));
        return true;
      case 'fin':
      case 'finish':
      case 'reverse-finish':
        motion(s.finish(dir(word.startsWith('r'))));
        return true;
      case 'c':
      case 'continue':
      case 'rc':
      case 'reverse-continue':
        motion(s.continue(dir(word.startsWith('r'))));
        return true;
      case 'goto':
        s.seek(Number(arg));
        this.#banner({ reason: 'step', location: s.location() });
        return true;
      case 'p':
      case 'print':
        this.#out(`$ = ${this.#value(arg)}`);
        return true;
      case 'display':
        this.#displays.push(arg);
        s.addWatch(arg);
        this.#out(`${this.#displays.length}: ${arg} = ${s.print(arg)}`);
        return true;
      case 'bt':
      case 'backtrace':
      case 'where':
        s.callStack().forEach((f, k) => {
          const at = f.line === undefined ? '' : ` at ${f.line.file.split('/').pop()}:${f.line.line}`;
          const how = f.kind === 'main' ? '' : ` [${f.kind}]`;
          this.#out(`#${k}  ${f.program}:${f.function} pc ${f.pc}${at}${how}`);
        });
        return true;
      case 'l':
      case 'list':
        this.#list();
        return true;
      case 'i':
      case 'info':
        this.#info(rest[0] ?? '');
        return true;
      default:
        this.#out(`Undefined command: "${word}".  Try "help".`);
        return true;
    }
  }

  #value(expr: string): string {
    return this.#s.print(expr);
  }

  /** LINE, FILE:LINE, *PC or *PC@PROG, with an optional `if COND`. */
  #location(arg: string): DebugBreakpoint {
    const m = /^(\S+)(?:\s+if\s+(.+))?$/.exec(arg);
    if (m === null) throw new TsbpfError('INVALID_ARGUMENT', 'break LINE | FILE:LINE | *PC [if COND]');
    const [, loc = '', cond] = m;
    const condition = cond === undefined ? {} : { condition: cond };
    const pc = /^\*(\d+)(?:@(\S+))?$/.exec(loc);
    if (pc !== null)
      return {
        kind: 'pc',
        pc: Number(pc[1]),
        ...(pc[2] === undefined ? {} : { program: pc[2] }),
        ...condition,
      };
    const line = /^(?:(.+):)?(\d+)$/.exec(loc);
    if (line !== null)
      return {
        kind: 'line',
        line: Number(line[2]),
        ...(line[1] === undefined ? {} : { file: line[1] }),
        ...condition,
      };
    throw new TsbpfError('INVALID_ARGUMENT', `cannot read location '${loc}' (LINE, FILE:LINE, *PC)`);
  }

  #banner(stop: DebugStop): void {
    const s = this.#s;
    const l = stop.location;
    if (stop.reason === 'breakpoint') this.#out(`Breakpoint ${stop.breakpoint}, ${l.function} ()`);
    if (stop.reason === 'fault' && s.end.kind === 'fault')
      this.#out(`Program faulted: ${s.end.error.message}`);
    if (stop.reason === 'exit' && s.end.kind === 'exit')
      this.#out(`[exit: the program returns ${s.end.retval} (${verdictName(s.program.type, s.end.retval)})]`);
    if (stop.reason === 'start' && l.position === 0 && s.length > 0) this.#out('[start of the recorded run]');
    if (l.line !== undefined)
      this.#out(`${l.line.file.split('/').pop()}:${l.line.line}\t${l.line.text.trim()}`);
    this.#out(`=> [${l.position}/${s.length - 1}] ${l.program}+${l.pc}: ${l.instruction}`);
    this.#displays.forEach((d, k) => {
      this.#out(`${k + 1}: ${d} = ${s.print(d)}`);
    });
  }

  /** x/NFU: N units (b h w g) from the address EXPR gives, in hex. */
  #examine(word: string, arg: string): void {
    const m = /^x(?:\/(\d*)x?([bhwg]?))?$/.exec(word);
    if (m === null) throw new TsbpfError('INVALID_ARGUMENT', 'x/NxU EXPR (U: b h w g)');
    const count = m[1] === undefined || m[1] === '' ? 1 : Number(m[1]);
    const unit = { b: 1, h: 2, w: 4, g: 8, '': 4 }[m[2] ?? ''] ?? 4;
    const v = this.#s.evaluate(arg);
    if (v.kind !== 'number') throw new TsbpfError('INVALID_ARGUMENT', `${arg} is not an address`);
    const addr = Number(v.value & 0xffffffffn);
    const bytes = this.#s.read(addr, count * unit);
    for (let row = 0; row < count; row += Math.max(1, 16 / unit)) {
      const cells: string[] = [];
      for (let k = row; k < Math.min(count, row + Math.max(1, 16 / unit)); k++) {
        let x = 0n;
        for (let b = unit - 1; b >= 0; b--) x = (x << 8n) | BigInt(bytes[k * unit + b]!);
        cells.push(`0x${x.toString(16).padStart(unit * 2, '0')}`);
      }
      this.#out(`0x${(addr + row * unit).toString(16)}:\t${cells.join('\t')}`);
    }
  }

  #list(): void {
    const s = this.#s;
    const here = s.location().line;
    if (here === undefined) {
      this.#out('No line information here.');
      return;
    }
    // The object's line info carries the text of every line that has code.
    const lines = new Map<number, string>();
    for (const p of s.programs)
      for (const l of p.lineInfo) if (l.file === here.file && l.line !== 0) lines.set(l.line, l.text);
    for (let n = here.line - 5; n <= here.line + 5; n++) {
      const text = lines.get(n);
      if (text !== undefined) this.#out(`${n === here.line ? '=>' : '  '}${String(n).padStart(5)}\t${text}`);
    }
  }

  #info(what: string): void {
    const s = this.#s;
    switch (what) {
      case 'r':
      case 'registers':
        s.registers().forEach((v, k) => {
          this.#out(`${REG_NAMES[k]!.padEnd(4)}0x${v.toString(16).padEnd(18)}${BigInt.asIntN(64, v)}`);
        });
        return;
      case 'b':
      case 'breakpoints':
        if (s.breakpoints().length === 0) this.#out('No breakpoints.');
        for (const b of s.breakpoints()) {
          const where =
            b.resolved === undefined ? '' : ` at ${b.resolved.file.split('/').pop()}:${b.resolved.line}`;
          this.#out(
            `${b.id}\t${b.temporary ? 'del ' : 'keep'}\t${JSON.stringify(b.breakpoint)}${where}\thit ${b.hits}`,
          );
        }
        return;
      case 'maps':
        for (const [name, entries] of s.maps()) {
          const shown = [...entries].filter(([, v]) => v.some((b) => b !== 0));
          this.#out(`${name}: ${entries.size} entries (${shown.length} non-zero)`);
          for (const [k, v] of shown.slice(0, 16)) this.#out(`  ${k}: ${hex(v)}`);
        }
        return;
      case 'packet': {
        const p = s.packet();
        this.#out(`${p.bytes.length} bytes at 0x${p.start.toString(16)}`);
        for (let k = 0; k < p.bytes.length; k += 16)
          this.#out(`  ${k.toString(16).padStart(4, '0')}: ${hex(p.bytes.subarray(k, k + 16))}`);
        return;
      }
      case 'context':
        for (const f of s.context()) this.#out(`${f.name} = ${f.value} (0x${f.value.toString(16)})`);
        return;
      case 'display':
        for (const w of s.watches()) this.#out(`${w.expression} = ${w.value}`);
        return;
      default:
        this.#out('info registers | breakpoints | maps | packet | context | display');
    }
  }
}
