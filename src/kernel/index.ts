// The Linux backend (package subpath `tsbpf/kernel`): bpf(2) through koffi for collections,
// programs, maps, BTF and test runs, with the kernel's own verifier and JIT. Not browser-safe;
// the root entry never imports it. Every name is listed on purpose (test/api/snapshot.txt).

export type { TableChange } from '../uapi/table-change.js';
export { type Availability, bpfAvailability } from './available.js';
export { BtfLoadError, KernelBtf, type LoadBtfOptions, loadBtf } from './btf.js';
export { kernelClock } from './clock.js';
export { kernelBtf, VMLINUX_BTF } from './co-re.js';
export { KernelCollection, type LoadKernelOptions, loadKernel } from './collection.js';
export { CollectionMap, type CollectionProgram } from './collection-handles.js';
export { deviceStatistics } from './ethtool.js';
export { haveHelper, haveMapType, haveProgramType, haveTcxLinks, haveXdpLinks } from './features.js';
// The data path on the kernel: network namespaces and veths, XDP/TCX links, AF_PACKET and
// AF_XDP sockets (AfXdpSocket and the ring types are tsbpf/net's).
export {
  attachTcx,
  attachXdp,
  KernelLink,
  type LinkInfoView,
  type ProgramFd,
  type TcxAnchor,
  type TcxAttachment,
  type TcxAttachOptions,
  type TcxAttachVia,
  type TcxEntry,
  type TcxOrder,
  tcxChain,
  type XdpAttachment,
  type XdpAttachOptions,
  type XdpAttachVia,
  type XdpModeName,
} from './link.js';
export { type CreateMapOptions, createMap, KernelMap, possibleCpuCount } from './map.js';
export { type NetDevice, netDevice } from './net-device.js';
export { type TcDirection, type TcFilter, type TcFilterPlace, tcFilters } from './netlink-tc.js';
export { type XdpAttached, xdpAttached } from './netlink-xdp.js';
export { type NetDev, Netns, type VethPair } from './netns.js';
export {
  btfBytes,
  type MapDetails,
  mapDetails,
  type ProgramDetails,
  programDetails,
} from './object-details.js';
// The control plane: objects opened by id, pin or name (pin() is a method of programs, maps
// and links), ring and perf buffers read from user space.
export { type ObjectRef, objectIds, openLink, openMap, openProgram } from './open.js';
export { PacketSocket } from './packet-socket.js';
export { PerfBufferReader, type PerfRecord } from './perf-buffer.js';
export type { ProgramPins } from './pinned-programs.js';
export {
  type KernelLineInfo,
  KernelProgram,
  type LoadProgramOptions,
  loadProgram,
  type ProgramBtfInfo,
} from './program.js';
export { RingBufferReader } from './ringbuf.js';
export { RtnetlinkMonitor } from './rtnetlink-monitor.js';
export type { MapOverride } from './spec-map.js';
export {
  NetlinkTcAttachment,
  type NetlinkTcInfo,
  openTcNetlink,
  type TcFilterOptions,
} from './tc-netlink-attachment.js';
export {
  NetlinkXdpAttachment,
  type NetlinkXdpInfo,
  openXdpNetlink,
  type XdpAttachedMode,
} from './xdp-netlink-attachment.js';
export { type KernelXskOptions, KernelXskSocket } from './xsk.js';
