// The data path (layer 5, the package's `tsbpf/net` entry): pcap in and out today; virtual
// devices, XDP/TC hooks, redirect maps and AF_XDP join here. Every name is listed on purpose
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
export { isPcap, LINKTYPE_ETHERNET, type Pcap, type PcapPacket, readPcap, writePcap } from './pcap.js';
export { type XskDeliveryMeta, type XskDevice, type XskPort, XskRegistry } from './xsk-port.js';
