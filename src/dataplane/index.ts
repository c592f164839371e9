// tsbpf/dataplane: a controller's library for the reference router (examples/router), on the
// simulated network today; the kernel platform follows (issue 12).
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
