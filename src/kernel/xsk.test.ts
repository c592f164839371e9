// Real AF_XDP sockets on a veth in a tsbpfx namespace, driven by the same user code as the
// simulated socket (test/afxdp/echo.ts): an echo through an xskmap redirect, the ring layout
// the kernel reports, need_wakeup, and the drop and invalid-descriptor counters, each compared
// with what the simulated socket does for the same traffic (the kernel is the oracle).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { echoOnce, fillFrames, recycleCompletions, swapMacs } from '../../test/afxdp/echo.js';
import { ECHO_TRAFFIC, runEchoKernel, runEchoSim } from '../../test/afxdp/echo-run.js';
import {
  captureAll,
  kernelNetSkip,
  PREFIX,
  sleepMs,
  TEST_ETHERTYPE,
  testFrame,
  waitFor,
} from '../../test/afxdp/kernel-env.js';
import { assemble } from '../asm/index.js';
import { BpfError } from '../errors.js';
import { XskSocket } from '../net/afxdp/socket.js';
import { Umem } from '../net/afxdp/umem.js';
import { type XskDevice, XskRegistry } from '../net/xsk-port.js';
import type { AfXdpSocket, XdpStatistics } from '../runtime/xsk/socket.js';
import { XDP_RING_LAYOUT } from '../uapi/if-xdp.js';
import { attachXdp } from './link.js';
import { createMap } from './map.js';
import { Netns, type VethPair } from './netns.js';
import { PacketSocket } from './packet-socket.js';
import { loadProgram } from './program.js';
import { KernelXskSocket } from './xsk.js';

const skip = kernelNetSkip();
const BE = ((TEST_ETHERTYPE & 0xff) << 8) | (TEST_ETHERTYPE >> 8);

interface Geometry {
  readonly frames: number;
  readonly ring: number;
  readonly rxSize?: number;
  readonly needWakeup?: boolean;
}

/** Our test frames go to the xskmap slot of their RX queue; everything else passes. */
function redirectProgram(mapFd: number) {
  return assemble(`ldxw r2, [r1+0]
ldxw r3, [r1+4]
mov r4, r2
add r4, 14
jgt r4, r3, pass
ldxh r5, [r2+12]
jne r5, ${BE}, pass
ldxw r2, [r1+16]
lddw r1, map_by_fd(${mapFd})
mov r3, 2
call 51
exit
pass:
mov r0, 2
exit`);
}

interface KernelRun {
  readonly ns: Netns;
  readonly veth: VethPair;
  readonly sock: KernelXskSocket;
  /** Sends frames into the peer (they reach the socket through XDP) and waits for the program. */
  send(frames: readonly Uint8Array[]): void;
  /** Frames that came out of the socket's device, read at the peer: `count` waited for, and extras. */
  capture(count: number): Uint8Array[];
  close(): void;
}

function kernelRun(g: Geometry): KernelRun {
  const ns = Netns.create(PREFIX);
  const closers: (() => void)[] = [() => ns.close()];
  const close = () => {
    for (const c of closers.reverse()) c();
  };
  try {
    const veth = ns.addVeth();
    const map = createMap({ type: 'XSKMAP', keySize: 4, valueSize: 4, maxEntries: 1 });
    closers.push(() => map.close());
    const prog = loadProgram({ type: 'XDP', insns: redirectProgram(map.fd), name: 'tsbpfx_xsk' });
    closers.push(() => prog.close());
    const { sock, link, tx, rx } = ns.run(() => {
      const sock = KernelXskSocket.create({
        umem: { frameCount: g.frames, frameSize: 2048 },
        ifindex: veth.a.ifindex,
        queue: 0,
        fillSize: g.ring,
        completionSize: g.ring,
        rxSize: g.rxSize ?? g.ring,
        txSize: g.ring,
        needWakeup: g.needWakeup ?? false,
      });
      closers.push(() => sock.close());
      const link = attachXdp(prog, veth.a.ifindex, 'native');
      closers.push(() => link.close());
      const tx = PacketSocket.open(veth.b.ifindex);
      closers.push(() => tx.close());
      const rx = PacketSocket.open(veth.b.ifindex);
      closers.push(() => rx.close());
      return { sock, link, tx, rx };
    });
    void link;
    const key = new Uint8Array(4);
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, sock.fd, true);
    map.update(key, value);
    return {
      ns,
      veth,
      sock,
      send(frames) {
        for (const f of frames) tx.send(f);
        sleepMs(30);
      },
      capture: (count) => captureAll(rx, count),
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}

class Wire implements XskDevice {
  readonly name = 'sim0';
  readonly ifindex = 3;
  readonly queues = 1;
  readonly mtu = 1500;
  readonly sent: Uint8Array[] = [];
  transmitFromSocket(frame: Uint8Array): boolean {
    this.sent.push(frame);
    return true;
  }
}

interface SimRun {
  readonly sock: XskSocket;
  readonly wire: Wire;
  send(frames: readonly Uint8Array[]): void;
}

function simRun(g: Geometry): SimRun {
  const registry = new XskRegistry();
  const wire = new Wire();
  registry.addDevice(wire);
  const sock = new XskSocket(new Umem({ frameCount: g.frames, frameSize: 2048 }), {
    fillSize: g.ring,
    completionSize: g.ring,
    rxSize: g.rxSize ?? g.ring,
    txSize: g.ring,
    needWakeup: g.needWakeup ?? false,
  }).bind(registry, wire.ifindex, 0);
  const meta = { ifindex: wire.ifindex, queue: 0, metadata: new Uint8Array(0) };
  return {
    sock,
    wire,
    send(frames) {
      for (const f of frames) sock.deliver(f, meta);
      sock.flush();
    },
  };
}

/** RX contents as (offset in chunk, len, payload byte 14) per entry, without consuming them. */
function rxView(sock: AfXdpSocket): [number, number, number][] {
  sock.poll(0);
  const span = sock.rx.peek(sock.rx.size);
  const out: [number, number, number][] = [];
  for (let k = 0; k < span.count; k++) {
    const d = sock.rx.desc(span.idx + k);
    out.push([d.addr % sock.umem.geometry.chunkSize, d.len, sock.umem.bytes[d.addr + 14]!]);
  }
  sock.rx.cancel(span.count);
  return out;
}

const frames = (n: number) => Array.from({ length: n }, (_, k) => testFrame(k));

test('the kernel lays the four rings out as the simulation does (XDP_MMAP_OFFSETS)', { skip }, () => {
  const run = kernelRun({ frames: 16, ring: 8 });
  try {
    for (const ring of [run.sock.fill, run.sock.completion, run.sock.rx, run.sock.tx])
      assert.deepEqual({ ...(ring as unknown as { layout: object }).layout }, { ...XDP_RING_LAYOUT });
  } finally {
    run.close();
  }
});

test('AF_XDP echo in TypeScript on a veth: redirect, RX, edit, TX, COMPLETION; as the simulation', {
  skip,
}, () => {
  const g: Geometry = { frames: 64, ring: 16, needWakeup: true };
  const run = kernelRun(g);
  const sim = simRun(g);
  try {
    assert.equal(run.sock.tx.needWakeup(), true, 'bind with need_wakeup flags TX');
    assert.equal(run.sock.fill.needWakeup(), sim.sock.fill.needWakeup());
    assert.equal(sim.sock.tx.needWakeup(), true);
    for (const s of [run.sock, sim.sock]) fillFrames(s, 0, 16);
    const sent = frames(8);
    run.send(sent);
    sim.send(sent);
    assert.ok(
      waitFor(() => run.sock.poll(10) >= 8),
      `8 frames reach the socket (${run.sock.rx.nbAvail(16)})`,
    );
    assert.deepEqual(rxView(run.sock), rxView(sim.sock), 'same RX descriptors (chunk offset 256, length)');
    assert.equal(echoOnce(run.sock, swapMacs), 8);
    assert.equal(echoOnce(sim.sock, swapMacs), 8);
    const back = run.capture(8);
    assert.equal(back.length, 8, 'the echoed frames come out of the veth');
    assert.deepEqual(back, sim.wire.sent, 'the same bytes out of both');
    for (const [k, f] of back.entries()) {
      const want = sent[k]!.slice();
      swapMacs(want);
      assert.deepEqual(f, want);
    }
    assert.ok(waitFor(() => run.sock.completion.nbAvail(16) >= 8));
    assert.equal(recycleCompletions(run.sock), 8);
    assert.equal(recycleCompletions(sim.sock), 8);
    assert.deepEqual(run.sock.statistics(), sim.sock.statistics());
  } finally {
    run.close();
    sim.sock.close();
  }
});

/** Sends `n` frames to both sockets and compares counters and RX; returns the kernel's counters. */
function compareDrops(g: Geometry, fill: number, n: number): XdpStatistics {
  const run = kernelRun(g);
  const sim = simRun(g);
  try {
    for (const s of [run.sock, sim.sock]) fillFrames(s, 0, fill);
    run.send(frames(n));
    sim.send(frames(n));
    waitFor(() => {
      const s = run.sock.statistics();
      return run.sock.rx.nbAvail(64) + s.rx_dropped + s.rx_ring_full >= n;
    });
    const k = run.sock.statistics();
    assert.deepEqual(k, sim.sock.statistics());
    assert.deepEqual(rxView(run.sock), rxView(sim.sock));
    assert.equal(run.sock.rx.nbAvail(64) + k.rx_dropped + k.rx_ring_full, n, 'every frame on RX or counted');
    return k;
  } finally {
    run.close();
    sim.sock.close();
  }
}

test('FILL runs dry: the kernel counts rx_dropped and rx_fill_ring_empty_descs, as the simulation', {
  skip,
}, () => {
  const k = compareDrops({ frames: 16, ring: 8 }, 3, 7);
  assert.equal(k.rx_dropped, 4);
  assert.equal(k.rx_fill_ring_empty_descs, 4);
});

test('RX ring full: rx_ring_full, the taken buffers reused, as the simulation', { skip }, () => {
  const k = compareDrops({ frames: 16, ring: 8, rxSize: 2 }, 8, 6);
  assert.equal(k.rx_ring_full, 4);
  assert.equal(k.rx_dropped, 0);
});

test('invalid TX descriptors end a pass, are counted and completed, as the kernel does', { skip }, () => {
  const g: Geometry = { frames: 8, ring: 8 };
  const run = kernelRun(g);
  const sim = simRun(g);
  try {
    const kicks: XdpStatistics[][] = [[], []];
    for (const [n, s] of [run.sock, sim.sock].entries()) {
      for (let f = 0; f < 8; f++) s.umem.bytes.set(testFrame(f), f * 2048);
      const t = s.tx.reserve(7);
      s.tx.setDesc(t, 0, 64);
      s.tx.setDesc(t + 1, 8 * 2048, 64); // outside the UMEM
      s.tx.setDesc(t + 2, 2048 - 32, 64); // across a chunk end
      s.tx.setDesc(t + 3, 4096, 0); // empty
      s.tx.setDesc(t + 4, 3 * 2048, 64, 4); // an option bit the kernel does not define
      s.tx.setDesc(t + 5, 4 * 2048, 64, 2); // XDP_TX_METADATA without TX metadata
      s.tx.setDesc(t + 6, 5 * 2048, 64);
      s.tx.submit(7);
      for (let k = 0; k < 7; k++) {
        let err = '';
        try {
          s.kick();
        } catch (e) {
          err = e instanceof BpfError ? `${e.op} ${e.errnoName}` : String(e);
        }
        kicks[n]!.push({ ...s.statistics(), err } as unknown as XdpStatistics);
      }
    }
    const out = run.capture(sim.wire.sent.length);
    const completed = (sock: AfXdpSocket) => {
      const c = sock.completion.peek(8);
      return Array.from({ length: c.count }, (_, q) => sock.completion.addr(c.idx + q));
    };
    assert.deepEqual(out, sim.wire.sent, 'the same frames leave');
    assert.deepEqual(kicks[0], kicks[1], 'the same counters after each kick');
    assert.deepEqual(completed(run.sock), completed(sim.sock), 'the same addresses completed');
  } finally {
    run.close();
    sim.sock.close();
  }
});

test('UMEM geometry the kernel refuses is refused the same way by the simulation', { skip }, () => {
  using ns = Netns.create(PREFIX);
  const { a } = ns.addVeth();
  for (const umem of [
    { frameCount: 4, frameSize: 1024 },
    { frameCount: 4, frameSize: 8192 },
    { frameCount: 4, frameSize: 2048, headroom: 2048 - 256 },
  ]) {
    let sim: unknown;
    try {
      new Umem(umem);
    } catch (e) {
      sim = e;
    }
    assert.ok(sim !== undefined, `the simulation refuses ${JSON.stringify(umem)}`);
    assert.throws(
      () => ns.run(() => KernelXskSocket.create({ umem, ifindex: a.ifindex, queue: 0 })),
      (e: unknown) =>
        (e as { op?: string }).op === (sim as { op: string }).op &&
        (e as { errno?: number }).errno === (sim as { errno: number }).errno,
    );
  }
});

test('AF_XDP echo with examples/xdp_xsk_redirect: the kernel and the simulation agree', { skip }, () => {
  const kernel = runEchoKernel();
  const sim = runEchoSim();
  assert.equal(kernel.echoed.length, ECHO_TRAFFIC[0]!.count);
  assert.deepEqual(kernel, sim);
});

test('a FILL address outside the UMEM is skipped, as the kernel skips it', { skip }, () => {
  const g: Geometry = { frames: 8, ring: 8 };
  const run = kernelRun(g);
  const sim = simRun(g);
  try {
    for (const s of [run.sock, sim.sock]) {
      const idx = s.fill.reserve(3);
      s.fill.setAddr(idx, 8 * 2048); // one past the last chunk
      s.fill.setAddr(idx + 1, 2 * 2048 + 100); // inside chunk 2: the chunk start is used
      s.fill.setAddr(idx + 2, 1 << 30);
      s.fill.submit(3);
    }
    run.send(frames(3));
    sim.send(frames(3));
    waitFor(() => {
      const st = run.sock.statistics();
      return run.sock.rx.nbAvail(8) + st.rx_dropped >= 3;
    });
    assert.deepEqual(rxView(run.sock), rxView(sim.sock));
    assert.deepEqual(run.sock.statistics(), sim.sock.statistics());
    assert.equal(sim.sock.fillInvalidDescs, 2);
  } finally {
    run.close();
    sim.sock.close();
  }
});
