// AF_XDP in the simulation: the UMEM, the copy-mode socket bound to a simulated device through
// net/xsk-port.ts, and the shared ring and socket types (runtime/xsk/) that the kernel backend's
// real sockets implement too.
export type { ConsumerRing, ProducerRing, RingSpan, XdpDesc } from '../../runtime/xsk/ring.js';
export type { AfXdpSocket, UmemArea, XdpStatistics, XskRingSizes } from '../../runtime/xsk/socket.js';
export type { UmemConfig, UmemGeometry } from '../../runtime/xsk/umem.js';
export { TX_BATCH_SIZE, XskSocket, type XskSocketOptions } from './socket.js';
export { Umem } from './umem.js';
