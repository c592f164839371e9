// The Linux backend (package subpath `tsbpf/kernel`): bpf(2) through koffi for programs, maps
// and test runs, with the kernel's own verifier and JIT. Not browser-safe; the root entry never
// imports it. Links, pins, ELF collections and AF_XDP are not here yet.
export { type Availability, bpfAvailability } from './available.js';
export { FdHandle } from './fd.js';
export {
  BPF_ANY,
  BPF_EXIST,
  BPF_F_LOCK,
  BPF_NOEXIST,
  type CreateMapOptions,
  createMap,
  KernelMap,
  possibleCpuCount,
} from './map.js';
export {
  KernelProgram,
  type LoadProgramOptions,
  loadProgram,
  type TestRunOptions,
  type TestRunResult,
} from './program.js';
export { bpf, closeFd } from './syscall.js';
