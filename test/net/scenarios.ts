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
  /** Maps filled with values that differ between runners (ifindexes in keys or values): not compared. */
  readonly runnerSpecificMaps?: readonly string[];
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
  {
    name: 'router',
    description:
      'the reference router (examples/router) forwards by LPM route and neighbour, counts flows, gives local and unrouted traffic to the stack',
    object: 'router/router.v3.o',
    veths: [
      [{ name: 'tsbpfs-ra0' }, { name: 'tsbpfs-ra1' }],
      [{ name: 'tsbpfs-rb0' }, { name: 'tsbpfs-rb1', gro: true }],
    ],
    attach: [
      { device: 'tsbpfs-ra0', hook: 'xdp', program: 'xdp_router' },
      { device: 'tsbpfs-rb0', hook: 'xdp', program: 'xdp_router' },
    ],
    runnerSpecificMaps: ['routes', 'ifaces'],
    maps: (r) => {
      const b0 = r.ifindex('tsbpfs-rb0');
      const route = (len: number, a: number[], nexthop: number[], ifindex: number, flags: number) => ({
        map: 'routes',
        key: new Uint8Array([...u32(len), ...a]),
        value: new Uint8Array([...nexthop, ...u32(ifindex), ...u32(flags)]),
      });
      return [
        // 10.20.0.0/16 is connected on rb0; 10.30.0.0/16 is behind 10.20.0.1; 10.99.0.0/16 is ours.
        route(16, [10, 20, 0, 0], [0, 0, 0, 0], b0, 0),
        route(16, [10, 30, 0, 0], [10, 20, 0, 1], b0, 0),
        route(16, [10, 99, 0, 0], [0, 0, 0, 0], 0, 2),
        { map: 'neighbours', key: ipKey(10, 20, 0, 5), value: Uint8Array.of(2, 0, 0, 0, 0x20, 5, 0, 0) },
        { map: 'neighbours', key: ipKey(10, 20, 0, 1), value: Uint8Array.of(2, 0, 0, 0, 0x20, 1, 0, 0) },
        { map: 'ifaces', key: u32(b0), value: Uint8Array.of(2, 0, 0, 0, 0xb0, 0, 0, 0) },
        { map: 'tx_ports', key: u32(b0), value: u32(b0) },
      ];
    },
    traffic: [
      {
        device: 'tsbpfs-ra0',
        templates: [
          { count: 30, src: '10.10.0.1', dst: '10.20.0.5', srcPort: [4000, 4002], dstPort: 53 },
          { count: 20, protocol: 'tcp', src: '10.10.0.2', dst: '10.30.7.7', dstPort: 443, start: 1n },
          { count: 6, src: '10.10.0.3', dst: '10.99.0.1', start: 2n },
          { count: 4, src: '10.10.0.4', dst: '172.16.0.1', start: 3n },
          { count: 3, src: '10.10.0.5', dst: '10.20.0.9', start: 4n },
        ],
      },
    ],
    expect: {
      // local (6), no route (4) and no neighbour (3) reach ra0's stack; 50 forwarded to rb1.
      received: { 'tsbpfs-ra0': 13, 'tsbpfs-rb1': 50 },
      maps: {
        // per-CPU counters by reason: forward, no route, local, no neighbour
        stats: { '00000000': 50, '03000000': 4, '04000000': 6, '06000000': 3 },
      },
      xdp: { 'tsbpfs-ra0': { REDIRECT: 50, PASS: 13 } },
    },
  },
];
