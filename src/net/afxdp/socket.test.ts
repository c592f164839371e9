// The simulated AF_XDP socket: an echo (RX, edit, TX, COMPLETION, recycle) and every place the
// kernel counts a frame it could not take, so that delivered + counted = offered always.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { echoOnce, fillFrames, recycleCompletions, swapMacs } from '../../../test/afxdp/echo.js';
import { BpfError, ClosedError, NotSupportedError } from '../../errors.js';
import { type XskDevice, XskRegistry } from '../xsk-port.js';
import { TX_BATCH_SIZE, XskSocket } from './socket.js';
import { Umem } from './umem.js';

class Wire implements XskDevice {
  readonly name = 'sim0';
  readonly ifindex = 7;
  readonly queues = 2;
  readonly mtu = 1500;
  readonly sent: Uint8Array[] = [];
  up = true;
  transmitFromSocket(frame: Uint8Array, queue: number): boolean {
    assert.ok(queue < this.queues);
    if (!this.up || frame.length > this.mtu + 14) return false;
    this.sent.push(frame);
    return true;
  }
}

function frame(n: number, len = 60): Uint8Array {
  const f = new Uint8Array(len);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5]);
  f[14] = n;
  return f;
}

function setup(opts: { frames?: number; ring?: number; headroom?: number; needWakeup?: boolean } = {}) {
  const registry = new XskRegistry();
  const wire = new Wire();
  registry.addDevice(wire);
  const umem = new Umem({ frameCount: opts.frames ?? 64, frameSize: 2048, headroom: opts.headroom ?? 0 });
  const ring = opts.ring ?? 16;
  const sock = new XskSocket(umem, {
    rxSize: ring,
    txSize: ring,
    fillSize: ring,
    completionSize: ring,
    needWakeup: opts.needWakeup ?? false,
  });
  sock.bind(registry, wire.ifindex, 1);
  const meta = { ifindex: wire.ifindex, queue: 1, metadata: new Uint8Array(0) };
  return { registry, wire, umem, sock, meta };
}

test('echo: frames received on RX, edited, sent on TX, completed and recycled', () => {
  const { wire, sock, meta, registry } = setup();
  assert.equal(registry.byId(sock.id), sock);
  fillFrames(sock, 0, 16);
  for (let n = 0; n < 10; n++) assert.equal(sock.deliver(frame(n), meta), true);
  assert.equal(sock.poll(0), 0, 'nothing is visible before the poll ends (flush)');
  sock.flush();
  assert.equal(sock.poll(0), 10);
  // Each frame sits at its chunk + 256 (XDP_PACKET_HEADROOM), in FILL order.
  const span = sock.rx.peek(1);
  assert.equal(sock.rx.desc(span.idx).addr, 256);
  sock.rx.cancel(1);
  assert.equal(echoOnce(sock, swapMacs), 10);
  assert.equal(wire.sent.length, 10);
  for (const [n, f] of wire.sent.entries()) {
    assert.deepEqual([...f.subarray(0, 12)], [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
    assert.equal(f[14], n);
  }
  assert.equal(recycleCompletions(sock), 10);
  assert.deepEqual(sock.statistics(), {
    rx_dropped: 0,
    rx_invalid_descs: 0,
    tx_invalid_descs: 0,
    rx_ring_full: 0,
    rx_fill_ring_empty_descs: 0,
    tx_ring_empty_descs: 1,
  });
});

test('headroom and metadata: data at chunk + headroom + 256, the metadata just before it', () => {
  const { sock, umem } = setup({ headroom: 64 });
  fillFrames(sock, 3, 1);
  const md = Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd);
  assert.ok(sock.deliver(frame(9), { ifindex: 7, queue: 1, metadata: md }));
  sock.flush();
  const d = sock.rx.desc(sock.rx.peek(1).idx);
  assert.equal(d.addr, 3 * 2048 + 64 + 256);
  assert.equal(d.len, 60);
  assert.deepEqual([...umem.bytes.subarray(d.addr - 4, d.addr)], [...md]);
});

test('drops are counted where the kernel counts them, and nothing is lost', () => {
  const { sock, meta } = setup({ frames: 64, ring: 4 });
  // No FILL entry: rx_dropped and rx_fill_ring_empty_descs.
  assert.equal(sock.deliver(frame(0), meta), false);
  // Too big for a 2048 chunk less 256: rx_dropped only.
  fillFrames(sock, 0, 4);
  assert.equal(sock.deliver(frame(1, 2048 - 256 + 1), meta), false);
  assert.equal(sock.deliver(frame(1, 2048 - 256), meta), true);
  // Three more take the last FILL entries; then the buffer is missing before the RX ring is
  // asked (copy mode allocates first): rx_dropped and rx_fill_ring_empty_descs again.
  let offered = 3;
  let delivered = 1;
  for (let n = 0; n < 6; n++, offered++) if (sock.deliver(frame(n), meta)) delivered++;
  sock.flush();
  const s = sock.statistics();
  assert.equal(delivered, 4);
  assert.equal(s.rx_ring_full, 0);
  assert.equal(s.rx_dropped, 5);
  assert.equal(s.rx_fill_ring_empty_descs, 4);
  assert.equal(offered, delivered + s.rx_dropped + s.rx_ring_full, 'every frame is on RX or counted');
  assert.equal(sock.heldBuffers, 0, 'FILL had 4 entries, all 4 frames on RX');
  // A frame for another queue is refused before the socket counts it (xsk_rcv_check: -EINVAL).
  assert.equal(sock.deliver(frame(0), { ...meta, queue: 0 }), false);
  assert.equal(sock.statistics().rx_dropped, 5);
});

test('a full RX ring keeps the buffer on the free list and uses it for the next frame', () => {
  const { sock, meta } = setup({ ring: 2 });
  fillFrames(sock, 0, 2);
  sock.deliver(frame(0), meta);
  sock.deliver(frame(1), meta);
  sock.flush();
  fillFrames(sock, 2, 1);
  assert.equal(sock.deliver(frame(2), meta), false);
  assert.equal(sock.heldBuffers, 1);
  assert.equal(sock.statistics().rx_ring_full, 1);
  sock.rx.release(sock.rx.peek(2).count);
  assert.equal(sock.deliver(frame(3), meta), true);
  assert.equal(sock.heldBuffers, 0);
  sock.flush();
  assert.equal(sock.rx.desc(sock.rx.peek(1).idx).addr, 2 * 2048 + 256);
});

test('TX: 32 descriptors per kick; an invalid one is counted, completed and ends the pass', () => {
  const { wire, sock } = setup({ frames: 64, ring: 64 });
  const idx = sock.tx.reserve(40);
  for (let k = 0; k < 40; k++) sock.tx.setDesc(idx + k, k * 2048, 60);
  sock.tx.submit(40);
  sock.kick();
  assert.equal(wire.sent.length, TX_BATCH_SIZE);
  assert.equal(sock.statistics().tx_ring_empty_descs, 0, 'the pass stopped on its budget, not on empty');
  sock.kick();
  assert.equal(wire.sent.length, 40);
  assert.equal(sock.statistics().tx_ring_empty_descs, 1);
  assert.equal(sock.completion.peek(64).count, 40);

  const bad = setup({ frames: 8, ring: 8 });
  const t0 = bad.sock.tx.reserve(4);
  bad.sock.tx.setDesc(t0, 0, 60);
  bad.sock.tx.setDesc(t0 + 1, 8 * 2048, 60); // outside the UMEM
  bad.sock.tx.setDesc(t0 + 2, 2048 - 10, 60); // across a chunk end
  bad.sock.tx.setDesc(t0 + 3, 3 * 2048, 60);
  bad.sock.tx.submit(4);
  bad.sock.kick();
  assert.equal(bad.wire.sent.length, 1);
  assert.equal(bad.sock.statistics().tx_invalid_descs, 1);
  bad.sock.kick();
  bad.sock.kick();
  assert.equal(bad.wire.sent.length, 2);
  assert.equal(bad.sock.statistics().tx_invalid_descs, 2);
  const done = bad.sock.completion.peek(8);
  assert.deepEqual(
    Array.from({ length: done.count }, (_, k) => bad.sock.completion.addr(done.idx + k)),
    [0, 8 * 2048, 2048 - 10, 3 * 2048],
    'every descriptor comes back, sent or not',
  );
  // XDP_PKT_CONTD (multi-buffer) is not simulated: refused by name, the descriptor kept.
  const t1 = bad.sock.tx.reserve(1);
  bad.sock.tx.setDesc(t1, 0, 60, 1);
  bad.sock.tx.submit(1);
  assert.throws(() => bad.sock.kick(), NotSupportedError);
  assert.equal(bad.sock.tx.filled, 1);

  // COMPLETION full (4 entries, none released): the rest wait on TX.
  const small = setup({ ring: 4 });
  const t = small.sock.tx.reserve(4);
  for (let k = 0; k < 4; k++) small.sock.tx.setDesc(t + k, k * 2048, 60);
  small.sock.tx.submit(4);
  small.sock.kick();
  assert.equal(small.wire.sent.length, 4);
  const t2 = small.sock.tx.reserve(2);
  for (let k = 0; k < 2; k++) small.sock.tx.setDesc(t2 + k, (4 + k) * 2048, 60);
  small.sock.tx.submit(2);
  small.sock.kick();
  assert.equal(small.wire.sent.length, 4, 'no room on COMPLETION: nothing sent');
  assert.equal(small.sock.tx.filled, 2, 'the descriptors stay on TX');
  small.sock.completion.release(small.sock.completion.peek(4).count);
  small.sock.kick();
  assert.equal(small.wire.sent.length, 6);
});

test('a device that refuses a frame still completes its buffer; the pass ends there', () => {
  const { wire, sock } = setup();
  wire.up = false;
  const t = sock.tx.reserve(2);
  sock.tx.setDesc(t, 0, 60);
  sock.tx.setDesc(t + 1, 2048, 60);
  sock.tx.submit(2);
  sock.kick();
  assert.equal(wire.sent.length, 0);
  assert.equal(sock.completion.peek(4).count, 1);
  assert.equal(sock.tx.filled, 1);
});

test('need_wakeup: TX flagged from bind on (copy mode never clears it), FILL not', () => {
  assert.equal(setup().sock.tx.needWakeup(), false);
  const { sock } = setup({ needWakeup: true });
  assert.equal(sock.tx.needWakeup(), true);
  assert.equal(sock.fill.needWakeup(), false);
});

test('bad UMEM geometry is refused as the kernel refuses it; closed sockets throw', () => {
  for (const bad of [
    { frameCount: 4, frameSize: 1024 },
    { frameCount: 4, frameSize: 8192 },
    { frameCount: 0 },
    { frameCount: 4, frameSize: 2048, headroom: 2048 - 256 },
  ])
    assert.throws(
      () => new Umem(bad),
      (e: unknown) => e instanceof BpfError && e.errnoName === 'EINVAL' && e.op === 'XDP_UMEM_REG',
    );
  const { sock, registry } = setup();
  sock.close();
  assert.equal(registry.byId(sock.id), undefined);
  assert.throws(() => sock.kick(), ClosedError);
  assert.equal(sock.deliver(frame(0), { ifindex: 7, queue: 1, metadata: new Uint8Array(0) }), false);
});
