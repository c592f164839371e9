// The data path (layer 5, the package's `tsbpf/net` entry): pcap in and out today; virtual
// devices, XDP/TC hooks, redirect maps and AF_XDP join here. Every name is listed on purpose
// (test/api/snapshot.txt).
export { isPcap, LINKTYPE_ETHERNET, type Pcap, type PcapPacket, readPcap, writePcap } from './pcap.js';
export { type XskDeliveryMeta, type XskDevice, type XskPort, XskRegistry } from './xsk-port.js';
