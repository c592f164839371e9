// The data path (layer 5, the package's `tsbpf/net` entry): simulated devices with XDP/TC hooks
// and the kernel's redirect bulking (Network), traffic in and out (pcap, pcapng, the generator,
// xdpdump captures), and the seam AF_XDP sockets plug into. Every name is listed on purpose
// (test/api/snapshot.txt).

// AF_XDP (net/afxdp/): UMEM, sockets, rings.
export {
  type AfXdpSocket,
  type ConsumerRing,
  type ProducerRing,
  type RingSpan,
  TX_BATCH_SIZE,
  Umem,
  type UmemArea,
  type UmemConfig,
  type UmemGeometry,
  type XdpDesc,
  type XdpStatistics,
  type XskRingSizes,
  XskSocket,
  type XskSocketOptions,
} from './afxdp/index.js';
export type { DumpEvent } from './datapath.js';
export {
  type DeviceOptions,
  type DeviceStats,
  type Frame,
  formatMac,
  NetDevice,
  parseMac,
} from './device.js';
export { type XdpDispatchEntry, XdpDispatcher } from './dispatcher.js';
export { type Hook, Network, type NetworkOptions, type RunOptions, type RunResult } from './network.js';
export { isPcap, LINKTYPE_ETHERNET, type Pcap, type PcapPacket, readPcap, writePcap } from './pcap.js';
export {
  linkTypeName,
  type Pcapng,
  type PcapngInterface,
  type PcapngPacket,
  readPcapng,
  writePcapng,
} from './pcapng.js';
export { generateTraffic, type Span, type TrafficTemplate } from './traffic.js';
export { XdpDump } from './xdpdump.js';
export { type XskDeliveryMeta, type XskDevice, type XskPort, XskRegistry } from './xsk-port.js';
