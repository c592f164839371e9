// Data-path scenarios as data: an example object, a topology of veth pairs, the programs on
// their hooks, map entries, traffic, and what must come out. Every runner executes the same
// scenario and reports a ScenarioOutcome: the simulation (run-sim.ts) and the kernel on real
// veths in a netns (net-xsk's runner). Traffic for a device is sent by its veth peer (AF_PACKET
// on the peer in the kernel; Network.send in the simulation), and what a device transmits is
// what its peer's stack receives, so both runners observe the same places. Frames are compared
// as sorted lists (RSS queues and CPUs may reorder them); per-CPU values are summed.

import type { Hook, TrafficTemplate } from '../../src/net/index.js';

export interface ScenarioDevice {
  readonly name: string;
  readonly queues?: number;
  /** GRO on (lets the peer XDP_TX / redirect into it without an XDP program). */
  readonly gro?: boolean;
}

export interface ScenarioMapEntry {
  readonly map: string;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** What differs between runners, for map values: a device's ifindex, a program's id/fd. */
export interface ScenarioRefs {
  ifindex(device: string): number;
  program(name: string): number;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** A file in examples/. */
  readonly object: string;
  /** veth pairs: [the device under test, its peer]; names at most 15 characters. */
  readonly veths: readonly (readonly [ScenarioDevice, ScenarioDevice])[];
  readonly attach: readonly { readonly device: string; readonly hook: Hook; readonly program: string }[];
  readonly maps?: (refs: ScenarioRefs) => ScenarioMapEntry[];
  /** Frames to send towards `device` (from its peer). */
  readonly traffic: readonly { readonly device: string; readonly templates: readonly TrafficTemplate[] }[];
  /** Counts a runner must see; the rest of the outcome is compared between runners. */
  readonly expect: ScenarioExpect;
}

export interface ScenarioExpect {
  /** Frames each device's stack received. */
  readonly received?: Readonly<Record<string, number>>;
  /** Map values as a little-endian number summed over CPUs, by map and key (hex). */
  readonly maps?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** XDP verdicts (simulation counters; the kernel runner derives what its maps show). */
  readonly xdp?: Readonly<Record<string, Readonly<Partial<Record<string, number>>>>>;
}

/** What a runner reports. */
export interface ScenarioOutcome {
  /** Frames each device's stack received, hex, sorted. */
  readonly received: Record<string, string[]>;
  /** Every map's entries: key hex -> value summed over CPUs as a number (u64 little-endian). */
  readonly maps: Record<string, Record<string, number>>;
  /** Simulation only: XDP verdicts per device. */
  readonly xdp?: Record<string, Record<string, number>>;
}

const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const u64 = (n: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};
/** An IPv4 address in network order as a map key. */
const ipKey = (a: number, b: number, c: number, d: number) => Uint8Array.of(a, b, c, d);

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'ddos-drop',
    description: 'a DDoS filter drops a blocked source and passes the rest',
    object: 'xdp_ddos.v3.o',
    veths: [[{ name: 'tsbpfs-d0', queues: 2 }, { name: 'tsbpfs-d1' }]],
    attach: [{ device: 'tsbpfs-d0', hook: 'xdp', program: 'xdp_ddos' }],
    maps: () => [{ map: 'blocklist', key: ipKey(192, 168, 1, 7), value: u64(0) }],
    traffic: [
      {
        device: 'tsbpfs-d0',
        templates: [
          { count: 96, src: '10.0.0.0/28', srcPort: [1000, 1031], size: [64, 512] },
          { count: 48, src: '192.168.1.7', protocol: 'tcp', dstPort: 80, rate: 5e5 },
        ],
      },
    ],
    expect: {
      received: { 'tsbpfs-d0': 96 },
      maps: { blocklist: { c0a80107: 48 }, verdicts: { '00000000': 96, '01000000': 48 } },
      xdp: { 'tsbpfs-d0': { PASS: 96, DROP: 48 } },
    },
  },
  {
    name: 'xdp-tx-reflector',
    description: 'UDP comes back out of the device it arrived on, addresses swapped; TCP passes',
    object: 'xdp_reflect.v3.o',
    veths: [[{ name: 'tsbpfs-r0' }, { name: 'tsbpfs-r1', gro: true }]],
    attach: [{ device: 'tsbpfs-r0', hook: 'xdp', program: 'xdp_reflect' }],
    traffic: [
      {
        device: 'tsbpfs-r0',
        templates: [
          { count: 40, src: '10.1.0.1', dst: '10.1.0.2', srcPort: [5000, 5009], dstPort: 7 },
          { count: 10, protocol: 'tcp', src: '10.1.0.1', dst: '10.1.0.2' },
        ],
      },
    ],
    expect: {
      received: { 'tsbpfs-r0': 10, 'tsbpfs-r1': 40 },
      maps: { reflected: { '00000000': 40 } },
      xdp: { 'tsbpfs-r0': { TX: 40, PASS: 10 } },
    },
  },
  {
    name: 'devmap-redirect',
    description: 'frames arriving on one veth leave through another by a devmap slot',
    object: 'xdp_redirect.v3.o',
    veths: [
      [{ name: 'tsbpfs-a0' }, { name: 'tsbpfs-a1' }],
      [{ name: 'tsbpfs-b0' }, { name: 'tsbpfs-b1', gro: true }],
    ],
    attach: [{ device: 'tsbpfs-a0', hook: 'xdp', program: 'redirect_devmap' }],
    maps: (r) => [
      { map: 'tx_ports', key: u32(0), value: new Uint8Array([...u32(r.ifindex('tsbpfs-b0')), ...u32(0)]) },
    ],
    traffic: [{ device: 'tsbpfs-a0', templates: [{ count: 150, src: '10.2.0.0/24', size: [60, 1514] }] }],
    expect: {
      received: { 'tsbpfs-a0': 0, 'tsbpfs-b1': 150 },
      xdp: { 'tsbpfs-a0': { REDIRECT: 150 } },
    },
  },
  {
    name: 'cpumap-handoff',
    description: 'frames spread over two CPUs by source; the cpumap program counts and drops TTL 1',
    object: 'xdp_cpu_handoff.v3.o',
    veths: [[{ name: 'tsbpfs-c0' }, { name: 'tsbpfs-c1' }]],
    attach: [{ device: 'tsbpfs-c0', hook: 'xdp', program: 'xdp_spread' }],
    maps: (r) =>
      [0, 1].map((cpu) => ({
        map: 'cpus',
        key: u32(cpu),
        value: new Uint8Array([...u32(256), ...u32(r.program('cpumap_count'))]),
      })),
    traffic: [
      {
        device: 'tsbpfs-c0',
        templates: [
          { count: 60, src: '10.3.0.0/30' },
          { count: 10, src: '10.3.0.9', ttl: 1, start: 1n },
        ],
      },
    ],
    expect: {
      received: { 'tsbpfs-c0': 60 },
      maps: { seen: { '00000000': 70 } },
      xdp: { 'tsbpfs-c0': { REDIRECT: 70 } },
    },
  },
  {
    name: 'xdp-meta-to-tc',
    description: 'XDP leaves the TTL as metadata; TC ingress counts by it and shoots TTL 0',
    object: 'xdp_meta_tc.v3.o',
    veths: [[{ name: 'tsbpfs-m0' }, { name: 'tsbpfs-m1' }]],
    attach: [
      { device: 'tsbpfs-m0', hook: 'xdp', program: 'xdp_put_ttl' },
      { device: 'tsbpfs-m0', hook: 'tc-ingress', program: 'tc_count_ttl' },
    ],
    traffic: [
      {
        device: 'tsbpfs-m0',
        templates: [
          { count: 20, ttl: 64 },
          { count: 5, ttl: 0, start: 1n },
        ],
      },
    ],
    expect: {
      received: { 'tsbpfs-m0': 20 },
      maps: { ttls: { '40000000': 20, '00000000': 5 } },
      xdp: { 'tsbpfs-m0': { PASS: 25 } },
    },
  },
];
