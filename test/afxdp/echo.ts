// User code for AF_XDP written once against AfXdpSocket and run on both kernels (the simulated
// socket and a real one): hand frames to FILL, echo what RX gives back through TX (after a
// caller's edit), and recycle COMPLETION into FILL, with libxdp's verbs only.
import type { AfXdpSocket } from '../../src/runtime/xsk/socket.js';

/** Gives `count` UMEM frames starting at frame `first` to the kernel through FILL. */
export function fillFrames(sock: AfXdpSocket, first: number, count: number): void {
  const idx = sock.fill.reserve(count);
  if (idx < 0) throw new Error(`FILL has no room for ${count} entries`);
  for (let k = 0; k < count; k++) sock.fill.setAddr(idx + k, (first + k) * sock.umem.geometry.chunkSize);
  sock.fill.submit(count);
}

/** Moves completed TX buffers back to FILL; returns how many. */
export function recycleCompletions(sock: AfXdpSocket): number {
  const done = sock.completion.peek(sock.completion.size);
  if (done.count === 0) return 0;
  const idx = sock.fill.reserve(done.count);
  if (idx < 0) {
    sock.completion.cancel(done.count);
    return 0;
  }
  for (let k = 0; k < done.count; k++) sock.fill.setAddr(idx + k, sock.completion.addr(done.idx + k));
  sock.fill.submit(done.count);
  sock.completion.release(done.count);
  return done.count;
}

/** Swaps destination and source MAC in place (an Ethernet reflector's edit). */
export function swapMacs(frame: Uint8Array): void {
  for (let i = 0; i < 6; i++) {
    const t = frame[i]!;
    frame[i] = frame[i + 6]!;
    frame[i + 6] = t;
  }
}

/** One echo pass: RX frames edited in place and queued on TX, then kick(); returns the count. */
export function echoOnce(sock: AfXdpSocket, edit: (frame: Uint8Array) => void, batch = 64): number {
  const got = sock.rx.peek(batch);
  if (got.count === 0) return 0;
  const out = sock.tx.reserve(got.count);
  if (out < 0) {
    sock.rx.cancel(got.count);
    return 0;
  }
  for (let k = 0; k < got.count; k++) {
    const d = sock.rx.desc(got.idx + k);
    edit(sock.umem.bytes.subarray(d.addr, d.addr + d.len));
    sock.tx.setDesc(out + k, d.addr, d.len);
  }
  sock.rx.release(got.count);
  sock.tx.submit(got.count);
  sock.kick();
  return got.count;
}
