// The debugger's front ends end to end: `tsbpf debug` with gdb commands piped in, and
// `tsbpf debug --dap` driven by a scripted Debug Adapter Protocol client, both against the
// bundled examples (C sources and line info), asserting the lines and values they show.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'bin/tsbpf.js');
const lineOf = (file: string, text: string): number =>
  readFileSync(join(root, 'examples', file), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;

function gdb(args: string[], commands: string[]) {
  const r = spawnSync(process.execPath, [bin, 'debug', ...args], {
    cwd: root,
    input: `${commands.join('\n')}\n`,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('tsbpf debug: break on a C line, step, print, reverse-step, backtrace across a call', () => {
  const call = lineOf('xdp_bpf2bpf.c', '= frame_len(ctx)') || lineOf('xdp_bpf2bpf.c', 'frame_len(ctx)');
  assert.ok(call > 0);
  const r = gdb(
    ['examples/xdp_bpf2bpf.v3.o', '--data-in', 'test/packets/ipv4_tcp_syn.bin'],
    [
      `break xdp_bpf2bpf.c:${call}`,
      'continue',
      'step',
      'bt',
      'print r1 == ctx',
      'finish',
      'reverse-step',
      'bt',
      'info breakpoints',
      'quit',
    ],
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Recorded \d+ instructions of xdp_bpf2bpf: exited with 2 \(XDP_PASS\)/);
  assert.match(r.out, new RegExp(`Breakpoint 1, xdp_bpf2bpf \\(\\)\\nxdp_bpf2bpf.c:${call}\\t`));
  // step entered frame_len; bt shows both frames.
  assert.match(
    r.out,
    /#0 {2}xdp_bpf2bpf:frame_len pc \d+ at xdp_bpf2bpf.c:\d+ \[call\]\n#1 {2}xdp_bpf2bpf:xdp_bpf2bpf pc \d+ at xdp_bpf2bpf.c:/,
  );
  assert.match(r.out, /\$ = 1 \(0x1\)/);
  assert.match(r.out, /1\tkeep\t.*"line":\d+.*hit 1/);
});

test('tsbpf debug: a packet from a pcap by index, watch, catch map, x, reverse-continue', () => {
  const r = gdb(
    ['examples/xdp_count_array.v3.o', '--data-in', 'test/packets/all.pcap', '--index', '4'],
    [
      'catch map proto_stats',
      'continue',
      'print *(u64 *)proto_stats[17]',
      'reverse-stepi',
      'print *(u64 *)proto_stats[17]',
      'x/4xb pkt',
      'delete',
      'watch *(u64 *)(proto_stats[17] + 8)',
      'continue',
      'continue',
      'reverse-continue',
      'nonsense',
      'print r11',
      'quit',
    ],
  );
  assert.equal(r.code, 0, r.err);
  const prints = [...r.out.matchAll(/\$ = (.*)/g)].map((m) => m[1]);
  assert.deepEqual(prints.slice(0, 2), ['1 (0x1)', '0 (0x0)']);
  // The packet's first bytes (the Ethernet destination of the pcap's fifth frame).
  assert.match(r.out, /x\/4xb pkt\n0x[0-9a-f]+:\t0x[0-9a-f]{2}\t/);
  // The watch on the byte counter stops once, after the add; then the run ends; reverse-continue finds it again.
  const watch = [...r.out.matchAll(/Breakpoint 2, .*\n.*\n=> \[(\d+)\//g)].map((m) => m[1]);
  assert.equal(watch.length, 2);
  assert.equal(watch[0], watch[1]);
  assert.match(r.out, /\[exit: the program returns 2 \(XDP_PASS\)\]/);
  assert.match(r.out, /Undefined command: "nonsense"/);
  assert.match(prints[2] ?? '', /unknown name 'r11'/);
});

test('tsbpf debug: bad input is a message and exit status 255', () => {
  const r = gdb(
    ['examples/xdp_count_array.v3.o', '--data-in', 'test/packets/all.pcap', '--index', '999'],
    [],
  );
  assert.equal(r.code, 255);
  assert.match(r.err, /no index 999/);
  assert.equal(gdb(['examples/xdp_count_array.v3.o'], []).code, 255);
});

/** A scripted DAP client over the adapter's stdio. */
// DAP bodies are JSON the tests walk freely; one untyped alias instead of casts at every step.
// biome-ignore lint/suspicious/noExplicitAny: see above
type DapBody = Record<string, any>;

class Client {
  readonly #p: ChildProcessWithoutNullStreams;
  #seq = 1;
  #buffer = Buffer.alloc(0);
  readonly messages: Record<string, unknown>[] = [];
  #waiters: (() => void)[] = [];

  constructor() {
    this.#p = spawn(process.execPath, [bin, 'debug', '--dap'], { cwd: root });
    this.#p.stdout.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      for (;;) {
        const end = this.#buffer.indexOf('\r\n\r\n');
        if (end < 0) break;
        const length = Number(/Content-Length: (\d+)/.exec(this.#buffer.subarray(0, end).toString())![1]);
        if (this.#buffer.length < end + 4 + length) break;
        this.messages.push(JSON.parse(this.#buffer.subarray(end + 4, end + 4 + length).toString()));
        this.#buffer = this.#buffer.subarray(end + 4 + length);
        for (const w of this.#waiters.splice(0)) w();
      }
    });
  }

  async #until<T>(find: () => T | undefined): Promise<T> {
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timeout; got ${JSON.stringify(this.messages.slice(-3))}`)),
          20000,
        );
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a request and waits for its response (asserting success). */
  async request(command: string, args: Record<string, unknown> = {}): Promise<DapBody> {
    const seq = this.#seq++;
    const body = JSON.stringify({ seq, type: 'request', command, arguments: args });
    this.#p.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const r = await this.#until(() =>
      this.messages.find((m) => m.type === 'response' && m.request_seq === seq),
    );
    assert.equal(r.success, true, `${command}: ${String(r.message)}`);
    return (r.body ?? {}) as DapBody;
  }

  /** Waits for the next event named `name` after the `after`-th message. */
  async event(name: string, after: number): Promise<DapBody> {
    const e = await this.#until(() =>
      this.messages.slice(after).find((m) => m.type === 'event' && m.event === name),
    );
    return e.body as DapBody;
  }

  /** Sends a motion request and returns the stopped event and the top frame. */
  async motion(command: string, args: Record<string, unknown> = {}) {
    const mark = this.messages.length;
    await this.request(command, { threadId: 1, ...args });
    const stopped = await this.event('stopped', mark);
    const { stackFrames } = await this.request('stackTrace', { threadId: 1 });
    return { stopped, top: stackFrames[0], frames: stackFrames };
  }

  async variables(frameId: number, scope: string): Promise<Record<string, string>> {
    const { scopes } = await this.request('scopes', { frameId });
    const ref = scopes.find((s: { name: string }) => s.name === scope).variablesReference;
    const { variables } = await this.request('variables', { variablesReference: ref });
    return Object.fromEntries(variables.map((v: { name: string; value: string }) => [v.name, v.value]));
  }

  /** Ends the adapter if a test failed before disconnecting. */
  kill(): void {
    if (this.#p.exitCode === null) this.#p.kill();
  }

  async close(): Promise<number | null> {
    await this.request('disconnect');
    if (this.#p.exitCode !== null) return this.#p.exitCode;
    return new Promise((resolve) => this.#p.on('exit', (code) => resolve(code)));
  }
}

test('tsbpf debug --dap: breakpoints on C lines, stack, variables, next, stepBack, reverseContinue, continue', async (t) => {
  const c = new Client();
  t.after(() => c.kill());
  const init = await c.request('initialize', { adapterID: 'tsbpf', linesStartAt1: true });
  assert.equal(init.supportsStepBack, true);
  const mark = c.messages.length;
  const bytes = readFileSync(join(root, 'test/packets/ipv4_udp.bin'));
  await c.request('launch', { program: 'examples/xdp_count_array.v3.o', packet: bytes.toString('hex') });
  await c.event('initialized', mark);
  const source = join(root, 'examples/xdp_count_array.c');
  const lookup = lineOf('xdp_count_array.c', 'cnt = bpf_map_lookup_elem(&proto_stats');
  const set = await c.request('setBreakpoints', {
    source: { path: source },
    breakpoints: [{ line: lookup }, { line: 1 }],
  });
  assert.equal(set.breakpoints[0].verified, true);
  assert.equal(set.breakpoints[0].line, lookup);
  // Line 1 is a comment: the breakpoint moves to the first line with code.
  assert.ok(set.breakpoints[1].line > 1);
  await c.request('setBreakpoints', { source: { path: source }, breakpoints: [{ line: lookup }] });
  const configured = c.messages.length;
  await c.request('configurationDone');
  const first = await c.event('stopped', configured);
  assert.equal(first.reason, 'breakpoint');
  const { stackFrames } = await c.request('stackTrace', { threadId: 1 });
  assert.equal(stackFrames[0].line, lookup);
  assert.equal(stackFrames[0].source.path, source);
  assert.equal(stackFrames[0].name, 'xdp_count_array');
  const regs = await c.variables(0, 'Registers');
  assert.equal(Object.keys(regs).length, 11);
  const ctx = await c.variables(0, 'Context');
  assert.match(ctx.data_end ?? '', /^\d+ \(0x/);
  assert.equal(Number(ctx.data_end!.split(' ')[0]) - Number(ctx.data!.split(' ')[0]), bytes.length);
  const packet = await c.variables(0, 'Packet');
  assert.equal(packet.length, String(bytes.length));
  assert.equal(
    packet['0000'],
    bytes
      .subarray(0, 16)
      .toString('hex')
      .replace(/(..)(?!$)/g, '$1 '),
  );
  const stack = await c.variables(0, 'Stack');
  assert.equal(Object.keys(stack).length, 64);
  assert.equal(
    (await c.request('evaluate', { expression: '*(u32 *)(r10 - 8)', frameId: 0 })).result,
    '17 (0x11)',
  );
  // next twice, then stepBack returns to the line before.
  const n1 = await c.motion('next');
  assert.equal(n1.stopped.reason, 'step');
  assert.equal(n1.top.line, lookup + 1);
  const n2 = await c.motion('next');
  assert.equal(n2.top.line, lookup + 2);
  const back = await c.motion('stepBack');
  assert.equal(back.top.line, lookup + 1);
  // Continue to the end; the value counted is in the map; reverseContinue comes back to the breakpoint.
  const end = await c.motion('continue');
  assert.match(String(end.stopped.description), /returns 2 \(XDP_PASS\)/);
  const maps = await c.variables(0, 'Maps');
  assert.match(maps.proto_stats ?? '', /entries/);
  assert.equal((await c.request('evaluate', { expression: '*(u64 *)proto_stats[17]' })).result, '1 (0x1)');
  const rc = await c.motion('reverseContinue');
  assert.equal(rc.stopped.reason, 'breakpoint');
  assert.equal(rc.top.line, lookup);
  assert.equal((await c.request('evaluate', { expression: '*(u64 *)proto_stats[17]' })).result, '0 (0x0)');
  assert.equal(await c.close(), 0);
});

test('tsbpf debug --dap: stepIn enters a bpf-to-bpf call, stepOut leaves it, the stack shows both frames', async (t) => {
  const c = new Client();
  t.after(() => c.kill());
  await c.request('initialize', { adapterID: 'tsbpf' });
  await c.request('launch', {
    program: 'examples/xdp_bpf2bpf.v3.o',
    dataIn: 'test/packets/ipv4_tcp_syn.bin',
    stopOnEntry: true,
  });
  const source = join(root, 'examples/xdp_bpf2bpf.c');
  const call = lineOf('xdp_bpf2bpf.c', 'frame_len(ctx)');
  await c.request('setBreakpoints', { source: { path: source }, breakpoints: [{ line: call }] });
  const mark = c.messages.length;
  await c.request('configurationDone');
  assert.equal((await c.event('stopped', mark)).reason, 'entry');
  const hit = await c.motion('continue');
  assert.equal(hit.top.line, call);
  const into = await c.motion('stepIn');
  assert.equal(into.frames.length, 2);
  assert.match(into.frames[0].name, /^frame_len \[call\]$/);
  assert.equal(into.frames[1].line, call);
  // The caller's frame shows the registers at the call.
  const callerRegs = await c.variables(1, 'Registers');
  const calleeRegs = await c.variables(0, 'Registers');
  assert.notEqual(callerRegs.r10, calleeRegs.r10);
  const out = await c.motion('stepOut');
  assert.equal(out.frames.length, 1);
  assert.equal(await c.close(), 0);
});
