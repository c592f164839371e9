// The debug session against the interpreter itself: every recorded position, reached forwards or
// backwards, must hold the registers and memory an independent run's step hook saw there; the
// same inputs must replay identically; the call stack must follow bpf-to-bpf calls, callbacks
// and tail calls; breakpoints of every kind must stop where they say.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { load, loadCollectionSpec, MemoryFault, virtualClock } from '../index.js';
import { Interpreter } from '../interp/index.js';
import { type DebugOptions, DebugSession } from './index.js';

const root = new URL('../../../', import.meta.url);
const object = (name: string) => loadCollectionSpec(readFileSync(new URL(`examples/${name}.v3.o`, root)));
const packet = (name: string) => new Uint8Array(readFileSync(new URL(`test/packets/${name}.bin`, root)));

/** The engines' region table lives below this (no program reads it); memory is compared above. */
const NULL_GUARD = 0x10000;

/** FNV-1a of bytes, to compare memory images cheaply. */
function fnv(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < b.length; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
  return h >>> 0;
}

/**
 * What an independent run's step hook sees at each step: registers and a hash of the memory. On
 * the interpreter only: the debugger is the interpreter's by design (the JIT has no step hook).
 */
function oracle(name: string, options: { program?: string; packet: Uint8Array }) {
  const seen: { pc: number; regs: bigint[]; memory: number; size: number }[] = [];
  using coll = load(object(name), {
    clock: virtualClock(),
    engine: (p, o) =>
      new Interpreter(p, {
        ...o,
        onStep: (pc, regs, info) => {
          seen.push({
            pc,
            regs: regs.snapshot(),
            memory: fnv(info.memory.u8.subarray(NULL_GUARD)),
            size: info.memory.u8.length,
          });
        },
      }),
  });
  const prog = options.program ?? coll.spec.programs[0]!.name;
  const r = coll.program(prog).run({ data: options.packet });
  return { seen, retval: r.retval };
}

const CASES: [string, string | undefined, string][] = [
  ['xdp_count_array', undefined, 'ipv4_udp'],
  ['xdp_count_hash', undefined, 'ipv4_tcp_syn'],
  ['xdp_tailcall', 'xdp_dispatch', 'ipv4_tcp_syn'],
  ['xdp_loop', undefined, 'ipv6_hopopts_udp'],
  ['xdp_bpf2bpf', undefined, 'ipv4_tcp_syn'],
  ['xdp_ttl_csum', undefined, 'ipv4_udp'],
  ['xdp_adjust_tail', undefined, 'ipv4_udp_1514'],
];

for (const [name, program, pkt] of CASES) {
  test(`${name}: every position, forwards then backwards, holds the state the interpreter had there`, () => {
    const options = { packet: packet(pkt), ...(program === undefined ? {} : { program }) };
    const want = oracle(name, options);
    using s = DebugSession.start(object(name), options);
    assert.equal(s.length, want.seen.length);
    assert.equal(s.end.kind, 'exit');
    assert.equal(s.end.kind === 'exit' && s.end.retval, want.retval);
    const check = (k: number) => {
      const w = want.seen[k]!;
      assert.equal(s.location().pc, w.pc, `pc at ${k}`);
      assert.deepEqual([...s.registers()], w.regs, `registers at ${k}`);
      assert.equal(fnv(s.read(NULL_GUARD, w.size - NULL_GUARD)), w.memory, `memory at ${k}`);
    };
    for (let k = 0; k < s.length; k++) {
      if (k > 0) s.stepInstruction();
      check(k);
    }
    for (let k = s.length - 1; k >= 0; k--) {
      s.seek(k);
      check(k);
    }
    // Random jumps land on the same states.
    let x = 12345;
    for (let n = 0; n < 50; n++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      const k = x % s.length;
      s.seek(k);
      check(k);
    }
  });
}

test('the same object, packet and clock replay identically', () => {
  const run = (o: DebugOptions) => {
    using s = DebugSession.start(object('xdp_count_hash'), o);
    const trail: string[] = [];
    for (let k = 0; k < s.length; k++) {
      s.seek(k);
      trail.push(`${s.location().pc}:${s.registers().join(',')}`);
    }
    return { trail, end: s.end.kind === 'exit' ? [...s.end.data] : [] };
  };
  const a = run({ packet: packet('ipv4_tcp_syn') });
  const b = run({ packet: packet('ipv4_tcp_syn') });
  assert.deepEqual(a, b);
  assert.ok(a.trail.length > 50);
  // Another packet takes another path: the comparison can fail.
  assert.notDeepEqual(run({ packet: packet('ipv6_udp') }).trail, a.trail);
});

test('the call stack follows bpf-to-bpf calls, callbacks and tail calls', () => {
  const stacks = (name: string, o: DebugOptions): Set<string> => {
    using s = DebugSession.start(object(name), o);
    const out = new Set<string>();
    for (let k = 0; k < s.length; k++) {
      s.seek(k);
      out.add(
        s
          .callStack()
          .map((f) => `${f.kind}:${f.function}`)
          .join(' < '),
      );
    }
    return out;
  };
  const calls = stacks('xdp_bpf2bpf', { packet: packet('ipv4_tcp_syn') });
  assert.ok(calls.has('call:frame_len < main:xdp_bpf2bpf'), [...calls].join('\n'));
  assert.ok(calls.has('call:port_denied < main:xdp_bpf2bpf'), [...calls].join('\n'));
  const loop = stacks('xdp_loop', { packet: packet('ipv6_hopopts_udp') });
  assert.ok(loop.has('callback:walk_one < main:xdp_loop'), [...loop].join('\n'));
  const tail = stacks('xdp_tailcall', { program: 'xdp_dispatch', packet: packet('ipv4_tcp_syn') });
  assert.ok(tail.has('tail:tail_tcp < tail:tail_ipv4 < main:xdp_dispatch'), [...tail].join('\n'));
});

test('next steps over calls, step enters them, finish returns, and each has its reverse', () => {
  using s = DebugSession.start(object('xdp_bpf2bpf'), { packet: packet('ipv4_tcp_syn') });
  // Step by line until a call is entered.
  let entered = -1;
  for (let n = 0; n < 200 && entered < 0; n++) {
    const st = s.stepLine();
    if (s.callStack().length > 1) entered = st.location.position;
    if (st.reason === 'exit') break;
  }
  assert.ok(entered > 0, 'step entered a function');
  const inner = s.callStack()[0]!.function;
  const out = s.finish();
  assert.equal(s.callStack().length, 1, `finish left ${inner}`);
  assert.ok(out.location.position > entered);
  s.seek(entered);
  const back = s.finish('backward');
  assert.match(back.location.instruction, /^call /, 'reverse-finish lands on the call');
  assert.equal(back.location.position, entered - 1);
  // next over the same call never shows the callee's frame.
  s.seek(back.location.position);
  const depthBefore = s.callStack().length;
  const n1 = s.next();
  assert.equal(s.callStack().length, depthBefore, `next stayed in the frame (${n1.location.function})`);
  // reverse-next comes back to the line of the call.
  const r = s.next('backward');
  assert.equal(r.location.line?.line, back.location.line?.line);
  assert.equal(s.callStack().length, depthBefore);
});

test('breakpoints: C line, pc, condition, helper, map update; continue and reverse-continue', () => {
  using s = DebugSession.start(object('xdp_count_array'), { packet: packet('ipv4_udp') });
  const src = readFileSync(new URL('examples/xdp_count_array.c', root), 'utf8').split('\n');
  const lookupLine = src.findIndex((l) => l.includes('= bpf_map_lookup_elem(')) + 1;
  assert.ok(lookupLine > 0);
  const b = s.addBreakpoint({ kind: 'line', line: lookupLine, file: 'xdp_count_array.c' });
  assert.equal(b.resolved?.line, lookupLine);
  const st = s.continue();
  assert.equal(st.reason, 'breakpoint');
  assert.equal(st.location.line?.line, lookupLine);
  // A helper breakpoint stops before the call with the map in r1.
  s.clearBreakpoints();
  s.addBreakpoint({ kind: 'helper', helper: 'map_lookup_elem' });
  const h = s.continue();
  assert.equal(h.reason, 'breakpoint');
  assert.match(h.location.instruction, /call 0x1$|call 1$|call bpf_map_lookup_elem/);
  // A map-update breakpoint stops after the counter changed (the value is written through the pointer).
  s.clearBreakpoints();
  s.seek(0);
  s.addBreakpoint({ kind: 'map', map: 'proto_stats' });
  const m = s.continue();
  assert.equal(m.reason, 'breakpoint');
  assert.equal(s.print('*(u64 *)proto_stats[17]'), '1 (0x1)');
  s.stepInstruction('backward');
  assert.equal(s.print('*(u64 *)proto_stats[17]'), '0 (0x0)', 'one step back restores the map');
  // A condition breakpoint stops where it becomes true; reverse-continue finds the same place.
  s.clearBreakpoints();
  s.seek(0);
  const id = s.addBreakpoint({ kind: 'condition', condition: '*(u64 *)proto_stats[17] == 1' }).id;
  const c = s.continue();
  assert.equal(c.reason, 'breakpoint');
  assert.equal(c.breakpoint, id);
  const where = c.location.position;
  assert.equal(where, m.location.position, 'the same step as the map breakpoint');
  assert.equal(s.continue().reason, 'exit');
  const rc = s.continue('backward');
  assert.equal(rc.reason, 'breakpoint');
  assert.equal(rc.location.position, where);
  // A pc breakpoint, temporary: it stops once.
  s.clearBreakpoints();
  s.seek(0);
  s.addBreakpoint({ kind: 'pc', pc: 3 }, true);
  assert.equal(s.continue().location.pc, 3);
  assert.equal(s.breakpoints().length, 0);
  assert.equal(s.continue().reason, 'exit');
});

test('a fault ends the trace at the faulting instruction; continue stops there with the error', () => {
  // verify: false: the kernel refuses this program; the VM runs it and faults.
  const spec = loadCollectionSpec(readFileSync(new URL('test/oob/oob.o', root)));
  const program = spec.programs[1]!.name; // reads data + 5000 unchecked
  using s = DebugSession.start(spec, { program, packet: packet('ipv4_udp'), verify: false });
  const st = s.continue();
  assert.equal(st.reason, 'fault');
  assert.ok(s.end.kind === 'fault' && s.end.error instanceof MemoryFault);
  assert.match(st.location.line?.text ?? '', /FAULT/);
  assert.equal(st.location.position, s.length - 1);
  assert.equal(s.stepInstruction('backward').location.position, s.length - 2);
});

test('watches and print read registers, stack, packet bytes, context fields and maps', () => {
  using s = DebugSession.start(object('xdp_count_array'), { packet: packet('ipv4_udp') });
  const pkt = packet('ipv4_udp');
  assert.equal(s.print('pkt[12]'), `${pkt[12]} (0x${pkt[12]!.toString(16)})`);
  assert.equal(s.print('pkt_end - pkt'), `${pkt.length} (0x${pkt.length.toString(16)})`);
  assert.equal(s.print('ctx.data == pkt'), '1 (0x1)');
  assert.equal(s.print('r1 == ctx'), '1 (0x1)');
  s.addWatch('*(u32 *)(r10 - 4)');
  s.continue();
  assert.equal(s.watches().length, 1);
  assert.match(s.print('nosuch'), /unknown name/);
  assert.throws(() => s.addWatch('r1 +'), /unexpected end/);
});
