// Program contexts of test runs: XDP frames and socket buffers. Layouts and access rules are
// data in uapi/context.ts; the load-time check of context accesses is verifier/context.ts.
export {
  BPF_F_TEST_SKB_CHECKSUM_COMPLETE,
  SKB_HEADROOM,
  SKB_MAX_DATA,
  SkbContext,
  type SkbInput,
} from './skb.js';
export { type ProgramContext, SKB_SHARED_INFO_SIZE, TestRunRefusal } from './types.js';
export {
  BPF_F_TEST_XDP_LIVE_FRAMES,
  type Interfaces,
  LOOPBACK_ONLY,
  XDP_FRAME_SIZE,
  XDP_PACKET_HEADROOM,
  XdpContext,
  type XdpInput,
} from './xdp.js';
