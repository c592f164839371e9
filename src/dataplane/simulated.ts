// The data-plane platform over tsbpf's simulated network: programs on the VM, attached to the
// network's devices, ring buffers read from the VM collection, AF_XDP sockets of net/afxdp.

import { type Collection, type CollectionSpec, load, type VmCollection } from '../index.js';
import { formatMac, type Hook, type Network, Umem, XskSocket } from '../net/index.js';
import type { DataplanePlatform, PlatformDevice, PuntSocket } from './platform.js';
import { u32Bytes } from './router-abi.js';

const RING = 256;
const FRAMES = 512;

/** A platform on `network`; its devices must exist before the data plane binds them. */
export function simulatedPlatform(network: Network): DataplanePlatform {
  const vm = (c: Collection) => c as VmCollection;
  return {
    name: 'simulation',
    load: (spec: CollectionSpec) => load(spec, { ...network.loadOptions(), cpus: network.cpus }),
    device(nameOrIfindex): PlatformDevice {
      const d = network.device(nameOrIfindex);
      return { name: d.name, ifindex: d.ifindex, mac: formatMac(d.mac) };
    },
    attach(c, program, device, hook: Hook) {
      const dev = network.device(device.ifindex);
      network.attach(dev, hook, vm(c).program(program));
      return () => network.attach(dev, hook, undefined);
    },
    drainRingBuffer: (c, map) => vm(c).consumeRingBuf().get(map) ?? [],
    openSocket(device): PuntSocket {
      const socket = new XskSocket(new Umem({ frameCount: FRAMES, frameSize: 2048 }), {
        fillSize: RING,
        completionSize: RING,
        rxSize: RING,
        txSize: RING,
      }).bind(network.sockets, device.ifindex, 0);
      return { socket, mapValue: u32Bytes(socket.id) };
    },
    settle() {
      network.run();
    },
  };
}
