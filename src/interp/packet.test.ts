// Exact packet windows: an XDP program may touch [data_meta, data_end) and nothing else of its
// 4 KiB frame, and the window follows bpf_xdp_adjust_head/meta/tail; a TC program sees
// [data, data_end) of its skb. Run without verification: each stray access must fault.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineUnderTest as Interpreter } from '../../test/engines.js';
import { MemoryFault } from '../errors.js';
import type { Instruction } from '../isa/index.js';
import { AddressSpace, LOOPBACK_ONLY, SkbContext, TestRunRefusal, XdpContext } from '../runtime/index.js';
import { BPF_SOCK_SIZE } from '../uapi/bpf-sock.js';
import { SkBuff, XdpMd } from '../uapi/context.js';
import { exit, ldx, mov, st } from './test-builders.js';

const frame = new Uint8Array(60).fill(0xab);

function xdp(space: AddressSpace, meta = 0): XdpContext {
  const ctx = new Uint8Array(24);
  new DataView(ctx.buffer).setUint32(XdpMd.data!, meta, true);
  new DataView(ctx.buffer).setUint32(XdpMd.data_end!, 60, true);
  const x = XdpContext.create('XDP', space, { data: frame, ctx, flags: 0, interfaces: LOOPBACK_ONLY });
  assert.ok(!(x instanceof TestRunRefusal));
  return x;
}

/** r2 = ctx->`field`, then `access` through r2; r0 = 1 if it returns. */
const through = (field: 'data' | 'data_end' | 'data_meta', ...access: Instruction[]) => [
  ldx(4, 'r2', 'r1', XdpMd[field]!),
  ...access,
  mov('r0', 1),
  exit(),
];

const run = (space: AddressSpace, x: XdpContext, p: Instruction[]) =>
  new Interpreter(p, { memory: space }).run([BigInt(x.struct.start)]).r0;

test('XDP: the packet window is exactly [data_meta, data_end)', () => {
  const space = new AddressSpace();
  const x = xdp(space, 8);
  assert.equal(run(space, x, through('data', ldx(1, 'r0', 'r2', 0))), 1n);
  assert.equal(run(space, x, through('data_end', ldx(1, 'r0', 'r2', -1))), 1n);
  assert.equal(run(space, x, through('data_meta', ldx(8, 'r0', 'r2', 0))), 1n, 'metadata is readable');
  const faults = (p: Instruction[], access: 'read' | 'write') =>
    assert.throws(
      () => run(space, x, p),
      (e: unknown) =>
        e instanceof MemoryFault && e.pc === 1 && e.access === access && /packet/.test(e.nearest ?? ''),
    );
  for (const off of [0, 1, 100, 1000, 32767]) faults(through('data_end', ldx(1, 'r0', 'r2', off)), 'read');
  faults(through('data_end', ldx(4, 'r0', 'r2', -2)), 'read');
  for (const off of [-1, -8, -200, -32768]) faults(through('data_meta', st(1, 'r2', off, 0)), 'write');
  x.release();
});

test('XDP: adjust_head/meta/tail move the window', () => {
  const space = new AddressSpace();
  const x = xdp(space);
  space.check(x.data, 1, 'read'); // fill the hit cache with the old window
  x.data -= 20;
  x.dataMeta -= 20;
  x.dataEnd -= 10;
  x.sync();
  assert.equal(space.find(x.data, 1)?.kind, 'packet');
  assert.equal(space.find(x.dataEnd, 1), undefined);
  assert.throws(() => space.check(x.dataEnd + 5, 1, 'read'), MemoryFault, 'the old end is gone');
  x.release();
  assert.equal(space.regions.length, 0);
});

test('TC and cgroup skb: the skb window is [data, data_end); socket filters get none; skb->sk a read-only socket, only with one', () => {
  const space = new AddressSpace();
  const input = { data: frame, ctx: undefined, flags: 0, cpu: 0, interfaces: LOOPBACK_ONLY, socket: true };
  const tc = SkbContext.create('SCHED_CLS', space, input);
  assert.ok(tc instanceof SkbContext);
  assert.equal(space.find(tc.data, 60)?.kind, 'packet');
  assert.equal(space.find(tc.data - 1, 1), undefined);
  assert.equal(space.find(tc.data + 60, 1), undefined);
  const sk = Number(space.view.getBigUint64(tc.struct.start + SkBuff.sk!, true));
  assert.equal(sk, tc.sock.start);
  assert.ok(sk !== 0 && sk === tc.sk);
  const sock = space.find(sk, BPF_SOCK_SIZE);
  assert.ok(sock !== undefined && !sock.writable);
  assert.equal(space.find(sk + BPF_SOCK_SIZE, 1), undefined);
  tc.park();
  const bare = SkbContext.create('SCHED_CLS', space, { ...input, socket: false }, tc);
  assert.ok(bare instanceof SkbContext);
  assert.equal(bare.sk, 0);
  assert.equal(space.view.getBigUint64(bare.struct.start + SkBuff.sk!, true), 0n);
  assert.equal(space.find(sk, 1), undefined, 'no socket: its struct bpf_sock is hidden');
  const cg = SkbContext.create('CGROUP_SKB', space, input);
  assert.ok(cg instanceof SkbContext);
  // From the network header: the frame's first 14 bytes lie before the window.
  assert.equal(space.find(cg.data, 46)?.kind, 'packet');
  assert.equal(space.find(cg.data - 1, 1), undefined);
  assert.equal(cg.len, 46);
  const sf = SkbContext.create('SOCKET_FILTER', space, input);
  assert.ok(sf instanceof SkbContext);
  assert.equal(space.find(sf.data, 1), undefined);
  bare.release();
  cg.release();
  sf.release();
});
