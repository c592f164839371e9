// The Linux backend (package subpath `tsbpf/kernel`): bpf(2) through koffi for programs, maps
// and test runs, with the kernel's own verifier and JIT. Not browser-safe; the root entry never
// imports it. Whole collections (loadKernel) are here; links, pins and AF_XDP are not yet.

// The update flags, for users of this entry alone (uapi constants live in spec/).
export { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST } from '../uapi/index.js';
export { type Availability, bpfAvailability } from './available.js';
export { BtfLoadError, KernelBtf, type LoadBtfOptions, loadBtf } from './btf.js';
export { kernelBtf, VMLINUX_BTF } from './co-re.js';
export { KernelCollection, type LoadKernelOptions, loadKernel } from './collection.js';
export { CollectionMap, CollectionProgram } from './collection-handles.js';
export { FdHandle } from './fd.js';
export {
  type CreateMapOptions,
  createMap,
  KernelMap,
  possibleCpuCount,
} from './map.js';
export {
  type KernelLineInfo,
  KernelProgram,
  type LoadProgramOptions,
  loadProgram,
  type ProgramBtfInfo,
  type TestRunOptions,
  type TestRunResult,
} from './program.js';
export type { MapOverride } from './spec-map.js';
export { bpf, closeFd } from './syscall.js';
