// tsbpf/dataplane: a controller's library for the reference router (examples/router). This entry
// is browser-safe (the simulated platform); the kernel's is `tsbpf/dataplane/kernel`.

export type { TableChange } from '../index.js';
export {
  type BindOptions,
  Dataplane,
  type PuntedPacket,
  type Route,
  type RouteTarget,
} from './dataplane.js';
export type { DataplanePlatform, PlatformDevice, PuntSocket } from './platform.js';
export type { FlowEntry, FlowEvent, FlowKey, Reason } from './router-abi.js';
export { simulatedPlatform } from './simulated.js';
