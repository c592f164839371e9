// `tsbpf debug --dap`: the Debug Adapter Protocol (microsoft.github.io/debug-adapter-protocol)
// on stdio over a DebugSession. Messages are JSON with a `Content-Length: N\r\n\r\n` header. The
// launch request names the object and packet; breakpoints are C source lines; scopes are the
// registers, the stack frame's slots, the context's fields, the packet and the maps; next,
// stepIn, stepOut, stepBack, reverseContinue and continue move through the recorded run.

import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { type DebugSession, type DebugStop, TsbpfError, verdictName } from '../index.js';
import { type DebugTarget, startSession } from './debug-target.js';

type Json = Record<string, unknown>;

interface Request {
  readonly seq: number;
  readonly command: string;
  readonly arguments?: Json;
}

/** Launch arguments (launch.json `configurations[]` entries; docs/debugger.md). */
interface LaunchArguments {
  readonly program?: string;
  readonly prog?: string;
  readonly packet?: string;
  readonly dataIn?: string;
  readonly index?: number;
  readonly mapInit?: string;
  readonly noVerify?: boolean;
  readonly stopOnEntry?: boolean;
  /** Where to find the C sources the object's line info names (default: beside the object, then the working directory). */
  readonly sourceRoot?: string;
  readonly cwd?: string;
}

const THREAD = 1;
const SCOPES = ['Registers', 'Stack', 'Context', 'Packet', 'Maps'] as const;
/** Variable references: (frame + 1) * 16 + scope; a map's entries: MAP_BASE + map index. */
const MAP_BASE = 1 << 24;
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** Reads framed messages from `input`, answers them on `output`; resolves with the exit code on disconnect or EOF. */
export function serveDap(input: Readable, output: Writable): Promise<number> {
  const server = new DapServer((m) => {
    const body = JSON.stringify(m);
    output.write(`Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`);
  });
  return new Promise((done) => {
    let buffer = Buffer.alloc(0);
    const finish = () => {
      input.removeAllListeners('data');
      server.close();
      done(0);
    };
    input.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const m = /Content-Length:\s*(\d+)/i.exec(buffer.subarray(0, end).toString('ascii'));
        if (m === null) {
          buffer = buffer.subarray(end + 4); // a header without a length: skip it
          continue;
        }
        const length = Number(m[1]);
        if (buffer.length < end + 4 + length) return;
        const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
        buffer = buffer.subarray(end + 4 + length);
        let request: Request;
        try {
          request = JSON.parse(body) as Request;
        } catch {
          continue; // not JSON: nothing to answer
        }
        if (!server.handle(request)) return finish();
      }
    });
    input.on('end', finish);
  });
}

class DapServer {
  readonly #send: (m: Json) => void;
  #seq = 1;
  #session: DebugSession | undefined;
  #launch: LaunchArguments = {};
  /** Breakpoint ids by source path, replaced by each setBreakpoints. */
  readonly #bySource = new Map<string, number[]>();

  constructor(send: (m: Json) => void) {
    this.#send = send;
  }

  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }

  /** Answers one request; false after disconnect. */
  handle(r: Request): boolean {
    try {
      const body = this.#dispatch(r);
      if (body === 'disconnect') {
        this.#respond(r, {});
        return false;
      }
      return true;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.#send({
        seq: this.#seq++,
        type: 'response',
        request_seq: r.seq,
        command: r.command,
        success: false,
        message,
      });
      if (!(e instanceof TsbpfError)) process.stderr.write(`${e instanceof Error ? e.stack : message}\n`);
      return true;
    }
  }

  #respond(r: Request, body: Json): void {
    this.#send({
      seq: this.#seq++,
      type: 'response',
      request_seq: r.seq,
      command: r.command,
      success: true,
      body,
    });
  }

  #event(event: string, body: Json = {}): void {
    this.#send({ seq: this.#seq++, type: 'event', event, body });
  }

  get #s(): DebugSession {
    if (this.#session === undefined) throw new TsbpfError('INVALID_ARGUMENT', 'no program launched yet');
    return this.#session;
  }

  #dispatch(r: Request): 'disconnect' | undefined {
    const a = r.arguments ?? {};
    const s = () => this.#s;
    switch (r.command) {
      case 'initialize':
        this.#respond(r, {
          supportsConfigurationDoneRequest: true,
          supportsStepBack: true,
          supportsConditionalBreakpoints: true,
          supportsEvaluateForHovers: true,
          supportsSteppingGranularity: true,
        });
        return;
      case 'launch': {
        const l = a as LaunchArguments;
        if (typeof l.program !== 'string')
          throw new TsbpfError('INVALID_ARGUMENT', 'launch: "program" (the .o) is required');
        const base = l.cwd ?? process.cwd();
        const target: DebugTarget = {
          object: resolve(base, l.program),
          program: l.prog,
          packet: l.packet,
          dataIn: l.dataIn === undefined ? undefined : resolve(base, l.dataIn),
          index: l.index,
          mapInit: l.mapInit === undefined ? undefined : resolve(base, l.mapInit),
          verify: l.noVerify !== true,
        };
        this.#session = startSession(target);
        this.#launch = { ...l, program: target.object };
        this.#respond(r, {});
        // Ready for configuration (setBreakpoints, configurationDone) once the run is recorded.
        this.#event('initialized');
        return;
      }
      case 'setBreakpoints': {
        const path = String((a.source as Json | undefined)?.path ?? '');
        for (const id of this.#bySource.get(path) ?? []) s().deleteBreakpoint(id);
        const wanted = (a.breakpoints as { line: number; condition?: string }[] | undefined) ?? [];
        const ids: number[] = [];
        const out = wanted.map((b) => {
          const info = s().addBreakpoint({
            kind: 'line',
            line: b.line,
            file: basename(path),
            ...(b.condition === undefined || b.condition === '' ? {} : { condition: b.condition }),
          });
          ids.push(info.id);
          return info.resolved === undefined
            ? { id: info.id, verified: false, line: b.line, message: 'no code at or after this line' }
            : { id: info.id, verified: true, line: info.resolved.line };
        });
        this.#bySource.set(path, ids);
        this.#respond(r, { breakpoints: out });
        return;
      }
      case 'setExceptionBreakpoints':
        this.#respond(r, {});
        return;
      case 'configurationDone':
        this.#respond(r, {});
        if (this.#launch.stopOnEntry === true)
          this.#stopped({ reason: 'start', location: s().seek(0) }, 'entry');
        else this.#stopped(s().continue());
        return;
      case 'threads':
        this.#respond(r, { threads: [{ id: THREAD, name: this.#session?.program.name ?? 'bpf' }] });
        return;
      case 'stackTrace': {
        const frames = s()
          .callStack()
          .map((f, k) => ({
            id: k,
            name: f.kind === 'main' ? f.function : `${f.function} [${f.kind}]`,
            line: f.line?.line ?? 0,
            column: f.line?.column ?? 0,
            instructionPointerReference: `${f.program}+${f.pc}`,
            ...(f.line === undefined ? {} : { source: this.#source(f.line.file) }),
          }));
        this.#respond(r, { stackFrames: frames, totalFrames: frames.length });
        return;
      }
      case 'scopes': {
        const frame = Number(a.frameId ?? 0);
        this.#respond(r, {
          scopes: SCOPES.map((name, k) => ({
            name,
            variablesReference: (frame + 1) * 16 + k,
            expensive: name === 'Maps',
          })),
        });
        return;
      }
      case 'variables':
        this.#respond(r, { variables: this.#variables(Number(a.variablesReference ?? 0)) });
        return;
      case 'next':
      case 'stepIn':
      case 'stepOut':
      case 'stepBack':
      case 'reverseContinue':
      case 'continue': {
        this.#respond(r, r.command === 'continue' ? { allThreadsContinued: true } : {});
        const instruction = a.granularity === 'instruction';
        const back = r.command === 'stepBack' || r.command === 'reverseContinue' ? 'backward' : 'forward';
        const session = s();
        const stop =
          r.command === 'continue' || r.command === 'reverseContinue'
            ? session.continue(back)
            : r.command === 'stepOut'
              ? session.finish()
              : instruction
                ? session.stepInstruction(back)
                : r.command === 'stepIn'
                  ? session.stepLine()
                  : session.next(back);
        this.#stopped(stop);
        return;
      }
      case 'evaluate': {
        const expression = String(a.expression ?? '');
        const frame = Number(a.frameId ?? 0);
        const result = this.#atFrame(frame, () => s().print(expression));
        this.#respond(r, { result, variablesReference: 0 });
        return;
      }
      case 'disconnect':
      case 'terminate':
        return 'disconnect';
      default:
        throw new TsbpfError('NOT_SUPPORTED', `request '${r.command}' is not supported`);
    }
  }

  #stopped(stop: DebugStop, reason?: string): void {
    const s = this.#s;
    let description: string | undefined;
    if (stop.reason === 'exit' && s.end.kind === 'exit') {
      description = `the program returns ${s.end.retval} (${verdictName(s.program.type, s.end.retval)})`;
      this.#event('output', { category: 'console', output: `${description}\n` });
    } else if (stop.reason === 'fault' && s.end.kind === 'fault') {
      description = s.end.error.message;
    } else if (stop.reason === 'start') description = 'start of the recorded run';
    const dapReason =
      reason ??
      (stop.reason === 'breakpoint' ? 'breakpoint' : stop.reason === 'fault' ? 'exception' : 'step');
    this.#event('stopped', {
      reason: dapReason,
      threadId: THREAD,
      allThreadsStopped: true,
      ...(description === undefined ? {} : { description, text: description }),
      ...(stop.breakpoint === undefined ? {} : { hitBreakpointIds: [stop.breakpoint] }),
    });
  }

  /** Runs `f` with the session at frame `frame`'s position (the call site for callers), then returns. */
  #atFrame<T>(frame: number, f: () => T): T {
    const s = this.#s;
    const here = s.position;
    const at = s.callStack()[frame]?.position ?? here;
    s.seek(at);
    try {
      return f();
    } finally {
      s.seek(here);
    }
  }

  #variables(ref: number): Json[] {
    const s = this.#s;
    if (ref >= MAP_BASE) {
      const [name, entries] = [...s.maps()][ref - MAP_BASE] ?? [];
      if (name === undefined || entries === undefined) return [];
      return [...entries].map(([k, v]) => ({ name: k, value: hex(v), variablesReference: 0 }));
    }
    const frame = Math.floor(ref / 16) - 1;
    const scope = SCOPES[ref % 16];
    return this.#atFrame(frame, () => {
      switch (scope) {
        case 'Registers':
          return s.registers().map((v, k) => ({
            name: `r${k}`,
            value: `0x${v.toString(16)} (${BigInt.asIntN(64, v)})`,
            variablesReference: 0,
          }));
        case 'Stack':
          return s.stackSlots().map((slot) => ({
            name: `fp${slot.offset}`,
            value: hex(slot.value),
            variablesReference: 0,
          }));
        case 'Context':
          return s.context().map((f) => ({
            name: f.name,
            value: `${f.value} (0x${f.value.toString(16)})`,
            variablesReference: 0,
          }));
        case 'Packet': {
          const p = s.packet();
          const rows: Json[] = [{ name: 'length', value: String(p.bytes.length), variablesReference: 0 }];
          for (let k = 0; k < p.bytes.length; k += 16)
            rows.push({
              name: k.toString(16).padStart(4, '0'),
              value: hex(p.bytes.subarray(k, k + 16)),
              variablesReference: 0,
            });
          return rows;
        }
        case 'Maps':
          return [...s.maps()].map(([name, entries], k) => ({
            name,
            value: `${entries.size} entries`,
            variablesReference: MAP_BASE + k,
          }));
        case undefined:
          return [];
        default:
          return scope satisfies never;
      }
    });
  }

  /** A DAP Source for a file named in line info: found beside the object, under sourceRoot or the working directory. */
  #source(file: string): Json {
    const l = this.#launch;
    const candidates = [
      ...(l.sourceRoot === undefined
        ? []
        : [resolve(l.sourceRoot, file), join(l.sourceRoot, basename(file))]),
      ...(l.program === undefined ? [] : [join(dirname(l.program), basename(file))]),
      resolve(l.cwd ?? process.cwd(), file),
    ];
    const path = candidates.find((c) => existsSync(c));
    return path === undefined ? { name: basename(file) } : { name: basename(file), path };
  }
}
