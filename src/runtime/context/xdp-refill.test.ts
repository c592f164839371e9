// XdpContext.refill and refillAll (a data path's slot reused per frame) against create() (a fresh frame):
// whatever the previous frames were (other lengths, devices, queues, metadata, fragments) and
// whatever the program did to the pointers (bpf_xdp_adjust_head / adjust_meta: the window
// moved, headroom bytes written), a refilled context must show what a fresh one shows: struct
// xdp_md, the accessible window, zeros below it, the frame's bytes, its fragments.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { XdpMd } from '../../uapi/context.js';
import { AddressSpace } from '../memory.js';
import { XDP_PACKET_HEADROOM, XdpContext } from './xdp.js';

const MIN = new Uint8Array(14);
const interfaces = new Map([
  [1, 1],
  [2, 2],
]);

/** What a program can observe of `x`: struct fields relative to the frame, the window, the bytes. */
function observe(x: XdpContext) {
  const v = x.space.view;
  const u8 = x.space.u8;
  const md = (f: keyof typeof XdpMd) => v.getUint32(x.struct.start + XdpMd[f]!, true);
  const base = x.frame.start;
  const hit = x.space.find(x.dataMeta, Math.max(1, x.dataEnd - x.dataMeta));
  return {
    data: md('data') - base,
    dataEnd: md('data_end') - base,
    dataMeta: md('data_meta') - base,
    ingress: md('ingress_ifindex'),
    queue: md('rx_queue_index'),
    egress: md('egress_ifindex'),
    window: [x.window.start - base, x.window.end - base],
    found: x.dataEnd > x.dataMeta ? hit?.start === x.window.start : true,
    headroomZero: u8.subarray(base, x.dataMeta).every((b) => b === 0),
    bytes: [...u8.subarray(x.dataMeta, x.dataEnd)],
    frags: x.frags.map((f) => [...f]),
  };
}

const frameArb = fc.record({
  // Mostly the same length, device and queue as the frame before: refill's shortcut.
  size: fc.oneof(
    fc.constant(64),
    fc.constant(64),
    fc.integer({ min: 14, max: 128 }),
    fc.constantFrom(3520, 3521, 5000),
  ),
  fill: fc.integer({ min: 1, max: 255 }),
  ingress: fc.constantFrom(2, 2, 2, 1),
  queue: fc.constantFrom(0, 0, 1),
  meta: fc.constantFrom(0, 0, 4, 8),
  // What the program did after this frame's refill: moved data (into the headroom, or forward)
  // and data_meta; a devmap entry's run sets egress_ifindex.
  head: fc.constantFrom(0, 0, 8, 32, -8),
  metaMove: fc.constantFrom(0, 0, 4, 8),
  egress: fc.constantFrom(0, 0, 3),
  // ... and then moved both back to where refill put them (headroom bytes written meanwhile).
  back: fc.boolean(),
});

test('a refilled XDP context shows what a fresh one shows, after any frames and pointer moves', () => {
  fc.assert(
    fc.property(fc.array(frameArb, { minLength: 1, maxLength: 12 }), (frames) => {
      const space = new AddressSpace();
      const slot = XdpContext.create('XDP', space, {
        data: new Uint8Array(14),
        ctx: undefined,
        flags: 0,
        interfaces,
      }) as XdpContext;
      for (const f of frames) {
        const queue = f.ingress === 1 ? 0 : f.queue;
        const data = Uint8Array.from({ length: f.size }, (_, k) => (f.fill + k) & 0xff);
        const meta = f.meta === 0 ? undefined : new Uint8Array(f.meta).fill(0xee);
        // Half the frames without metadata through refillAll (a poll's batch: frames from an offset).
        if (meta === undefined && f.fill % 2 === 0)
          assert.equal(
            XdpContext.refillAll([slot], [{ data: MIN }, { data }], 1, 1, f.ingress, queue),
            f.size,
          );
        else slot.refill(data, f.ingress, queue, meta);
        // The reference: a fresh context of the same frame (metadata as ctx_in's data offset).
        const ctx = new Uint8Array(24);
        const cv = new DataView(ctx.buffer);
        const linear = Math.min(f.size, 4096 - XDP_PACKET_HEADROOM + f.meta - 320);
        cv.setUint32(XdpMd.data!, f.meta, true);
        cv.setUint32(XdpMd.data_end!, f.meta + linear, true);
        cv.setUint32(XdpMd.ingress_ifindex!, f.ingress, true);
        cv.setUint32(XdpMd.rx_queue_index!, queue, true);
        const withMeta = new Uint8Array(f.meta + f.size);
        if (meta !== undefined) withMeta.set(meta);
        withMeta.set(data, f.meta);
        const fresh = XdpContext.create('XDP', space, { data: withMeta, ctx, flags: 0, interfaces });
        assert.ok(fresh instanceof XdpContext, String(fresh));
        assert.deepEqual(observe(slot), observe(fresh));
        fresh.release();
        // The program's moves, as the helpers make them (bytes written where the window reached).
        if (f.head !== 0 || f.metaMove > 0 || f.egress !== 0) {
          slot.data -= f.head;
          slot.dataMeta = slot.data - f.metaMove - (slot.data + f.head - slot.dataMeta);
          slot.egressIfindex = f.egress;
          slot.sync();
          space.u8.fill(0xab, slot.dataMeta, slot.data);
          if (f.back) {
            slot.data = slot.dataMeta = slot.frame.start + XDP_PACKET_HEADROOM;
            slot.sync();
          }
        }
      }
      slot.release();
    }),
    {
      numRuns: 200,
      // Each state refill's shortcut must refuse, followed by a frame it would otherwise take:
      // data moved forward with data_meta left at the start, egress_ifindex set, the headroom
      // reached and left.
      examples: [
        { head: -8, metaMove: 8, egress: 0, back: false },
        { head: 0, metaMove: 0, egress: 3, back: false },
        { head: 32, metaMove: 0, egress: 0, back: true },
      ].map((moves) => [
        [
          { size: 64, fill: 1, ingress: 2, queue: 0, meta: 0, ...moves },
          { size: 64, fill: 2, ingress: 2, queue: 0, meta: 0, head: 0, metaMove: 0, egress: 0, back: false },
        ],
      ]),
    },
  );
});
