// XDP and TCX links on a veth in a network namespace made for the test: real frames sent into
// the peer are counted by the attached program in a map; detach stops the counting; close
// releases the device. Skips with the reason where bpf() or network namespaces are refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  kernelNetSkip,
  PREFIX,
  sleepMs,
  TEST_ETHERTYPE,
  testFrame,
  waitFor,
} from '../../test/afxdp/kernel-env.js';
import { assemble } from '../asm/index.js';
import { BpfError } from '../errors.js';
import { attachTcx, attachXdp, type KernelLink, type XdpModeName } from './link.js';
import { createMap, type KernelMap } from './map.js';
import { Netns } from './netns.js';
import { PacketSocket } from './packet-socket.js';
import { loadProgram } from './program.js';

const skip = kernelNetSkip();
const BE = ((TEST_ETHERTYPE & 0xff) << 8) | (TEST_ETHERTYPE >> 8); // as a u16 load sees it

/** Counts our test frames in slot 0 of `map` and returns `hit`; other frames get `miss`. */
function counter(map: KernelMap, dataOff: number, endOff: number, hit: number, miss: number) {
  return assemble(`ldxw r2, [r1+${dataOff}]
ldxw r3, [r1+${endOff}]
mov r4, r2
add r4, 14
jgt r4, r3, other
ldxh r5, [r2+12]
jne r5, ${BE}, other
stw [r10-4], 0
mov r2, r10
add r2, -4
lddw r1, map_by_fd(${map.fd})
call 1
jeq r0, 0, done
ldxdw r1, [r0+0]
add r1, 1
stxdw [r0+0], r1
done:
mov r0, ${hit}
exit
other:
mov r0, ${miss}
exit`);
}

const count = (map: KernelMap): number =>
  Number(new DataView(map.lookup(new Uint8Array(4))!.buffer).getBigUint64(0, true));

function sendTest(ns: Netns, ifindex: number, n: number): void {
  ns.run(() => {
    using tx = PacketSocket.open(ifindex);
    for (let k = 0; k < n; k++) tx.send(testFrame(k));
    tx.send(testFrame(99, 64, 0x88b6)); // not ours: never counted
  });
}

function scenario(attach: (ns: Netns, ifindex: number, map: KernelMap) => KernelLink, linkType: string) {
  using ns = Netns.create(PREFIX);
  const { a, b } = ns.addVeth();
  using map = createMap({ type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 1, name: 'tsbpfx_count' });
  using link = attach(ns, a.ifindex, map);
  const info = link.info();
  assert.equal(info.type, linkType);
  assert.equal(info.ifindex, a.ifindex);
  sendTest(ns, b.ifindex, 5);
  assert.ok(
    waitFor(() => count(map) >= 5),
    `5 frames sent into ${b.name} reach ${a.name}'s program (${count(map)})`,
  );
  sleepMs(50);
  assert.equal(count(map), 5, 'exactly the test frames are counted');
  link.detach();
  assert.equal(link.info().ifindex, 0, 'a detached link names no device');
  sendTest(ns, b.ifindex, 3);
  sleepMs(100);
  assert.equal(count(map), 5, 'nothing is counted after detach');
}

for (const mode of ['native', 'generic'] as XdpModeName[]) {
  test(`XDP link (${mode}) on a veth counts the frames sent into its peer`, { skip }, () => {
    scenario((ns, ifindex, map) => {
      const prog = loadProgram({ type: 'XDP', insns: counter(map, 0, 4, 1, 2), name: 'tsbpfx_xdp' });
      try {
        return ns.run(() => attachXdp(prog, ifindex, mode));
      } finally {
        prog.close(); // the link holds the program
      }
    }, 'XDP');
  });
}

test('TCX ingress link on a veth counts the frames sent into its peer', { skip }, () => {
  scenario((ns, ifindex, map) => {
    using prog = loadProgram({ type: 'SCHED_CLS', insns: counter(map, 76, 80, 2, 0), name: 'tsbpfx_tcx' });
    return ns.run(() => attachTcx(prog, ifindex, 'ingress'));
  }, 'TCX');
});

test('TCX egress link counts the frames the device sends', { skip }, () => {
  using ns = Netns.create(PREFIX);
  const { b } = ns.addVeth();
  using map = createMap({ type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 1 });
  using prog = loadProgram({ type: 'SCHED_CLS', insns: counter(map, 76, 80, 0, 0) });
  using _link = ns.run(() => attachTcx(prog, b.ifindex, 'egress'));
  sendTest(ns, b.ifindex, 4);
  assert.ok(waitFor(() => count(map) >= 4));
  assert.equal(count(map), 4);
});

test('a second XDP link on the same device is refused (EBUSY); an unknown ifindex (EINVAL)', { skip }, () => {
  using ns = Netns.create(PREFIX);
  const { a } = ns.addVeth();
  using prog = loadProgram({ type: 'XDP', insns: assemble('mov r0, 2\nexit') });
  using _first = ns.run(() => attachXdp(prog, a.ifindex, 'native'));
  assert.throws(
    () => ns.run(() => attachXdp(prog, a.ifindex, 'native')),
    (e: unknown) => e instanceof BpfError && e.op === 'BPF_LINK_CREATE' && e.errnoName === 'EBUSY',
  );
  // No such device: bpf_xdp_link_attach answers EINVAL (not ENODEV).
  assert.throws(
    () => ns.run(() => attachXdp(prog, 999999, 'native')),
    (e: unknown) => e instanceof BpfError && e.op === 'BPF_LINK_CREATE' && e.errnoName === 'EINVAL',
  );
});
