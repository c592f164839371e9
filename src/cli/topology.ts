// `tsbpf xdp run OBJ --topology FILE.json`: the simulated network of a run described in a file
// instead of --dev flags: several devices, each with its own capture, XDP and TC ingress
// programs, RSS queues, MAC and MTU; veth pairs (a device's `peer`); and map entries whose values
// name devices ({"dev": "eth1"} is that device's ifindex, what devmap values hold). docs/cli.md
// describes the format; examples/topology.json is one.
//
//   { "devices": [ { "name": "eth0", "capture": "ddos.pcap", "xdp": "redirect_devmap" },
//                  { "name": "veth0", "peer": { "name": "veth1", "gro": true } } ],
//     "maps": { "tx_ports": [ { "key": 0, "value": { "dev": "veth0" } } ] } }

import { dirname, isAbsolute, join } from 'node:path';
import { UsageError } from './args.js';

/** One device of a run, from --dev or a topology (ifindex 2, 3, ... in this order). */
export interface DeviceSetup {
  readonly name: string;
  /** The capture file fed into the device, as given (paths of a topology resolved against its folder). */
  readonly capture?: string;
  readonly xdp?: string;
  readonly tcIngress?: string;
  readonly queues?: number;
  readonly mac?: string;
  readonly mtu?: number;
  readonly gro?: boolean;
  /** The other end of a veth pair: added right after this device. */
  readonly peer?: DeviceSetup;
}

export interface Topology {
  readonly devices: readonly DeviceSetup[];
  /** The `maps` member in --map-init's form, device names replaced by their ifindexes. */
  readonly mapInit?: string;
}

const DEVICE_KEYS = new Set(['name', 'capture', 'xdp', 'tc_ingress', 'queues', 'mac', 'mtu', 'gro', 'peer']);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function field<T>(
  o: Json,
  key: string,
  where: string,
  kind: string,
  ok: (v: unknown) => v is T,
): T | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!ok(v)) throw new UsageError(`${where}.${key}: expected ${kind}, got ${JSON.stringify(v)}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';

function device(v: unknown, where: string, folder: string, peerOf?: string): DeviceSetup {
  if (!isObject(v)) throw new UsageError(`${where}: expected a device object {"name": ...}`);
  for (const key of Object.keys(v))
    if (!DEVICE_KEYS.has(key))
      throw new UsageError(`${where}: unknown key '${key}' (keys: ${[...DEVICE_KEYS].join(', ')})`);
  const name = field(v, 'name', where, 'a device name', isString);
  if (name === undefined) throw new UsageError(`${where}: expected a "name"`);
  if (v.peer !== undefined && peerOf !== undefined)
    throw new UsageError(`${where}: a peer cannot have a peer of its own`);
  const capture = field(v, 'capture', where, 'a capture file name', isString);
  const xdp = field(v, 'xdp', where, 'a program name', isString);
  const tcIngress = field(v, 'tc_ingress', where, 'a program name', isString);
  const queues = field(v, 'queues', where, 'a count of at least 1', isCount);
  const mac = field(v, 'mac', where, 'a MAC address "aa:bb:cc:dd:ee:ff"', isString);
  const mtu = field(v, 'mtu', where, 'an MTU of at least 1', isCount);
  const gro = field(v, 'gro', where, 'true or false', isBoolean);
  const peer = v.peer === undefined ? undefined : device(v.peer, `${where}.peer`, folder, name);
  return {
    name,
    ...(capture === undefined ? {} : { capture: isAbsolute(capture) ? capture : join(folder, capture) }),
    ...(xdp === undefined ? {} : { xdp }),
    ...(tcIngress === undefined ? {} : { tcIngress }),
    ...(queues === undefined ? {} : { queues }),
    ...(mac === undefined ? {} : { mac }),
    ...(mtu === undefined ? {} : { mtu }),
    ...(gro === undefined ? {} : { gro }),
    ...(peer === undefined ? {} : { peer }),
  };
}

/** Every device in ifindex order (a veth's peer right after it). */
export function flatten(devices: readonly DeviceSetup[]): DeviceSetup[] {
  return devices.flatMap((d) => (d.peer === undefined ? [d] : [d, d.peer]));
}

/** Replaces {"dev": NAME} anywhere in the map entries by the device's ifindex. */
function resolveDevices(v: unknown, ifindex: ReadonlyMap<string, number>, where: string): unknown {
  if (Array.isArray(v)) return v.map((x, k) => resolveDevices(x, ifindex, `${where}[${k}]`));
  if (!isObject(v)) return v;
  if ('dev' in v && Object.keys(v).length === 1) {
    const n = typeof v.dev === 'string' ? ifindex.get(v.dev) : undefined;
    if (n === undefined)
      throw new UsageError(
        `${where}: no device ${JSON.stringify(v.dev)} in the topology (devices: ${[...ifindex.keys()].join(', ')})`,
      );
    return n;
  }
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, resolveDevices(x, ifindex, `${where}.${k}`)]),
  );
}

/** Parses a topology file's text; `path` names it in messages and is where captures are found. */
export function parseTopology(text: string, path: string): Topology {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--topology '${path}': not JSON: ${(e as Error).message}`);
  }
  const where = `--topology '${path}'`;
  if (!isObject(doc)) throw new UsageError(`${where}: expected an object {"devices": [...], "maps": {...}}`);
  for (const key of Object.keys(doc))
    if (key !== 'devices' && key !== 'maps')
      throw new UsageError(`${where}: unknown key '${key}' (keys: devices, maps)`);
  if (!Array.isArray(doc.devices) || doc.devices.length === 0)
    throw new UsageError(`${where}: expected "devices": [ {"name": ...}, ... ] with at least one device`);
  const folder = dirname(path);
  const devices = doc.devices.map((d, k) => device(d, `${where}: devices[${k}]`, folder));
  const all = flatten(devices);
  const ifindex = new Map<string, number>();
  for (const [k, d] of all.entries()) {
    if (ifindex.has(d.name)) throw new UsageError(`${where}: two devices are named '${d.name}'`);
    ifindex.set(d.name, 2 + k); // as Network numbers them: 1 is lo
  }
  if (!all.some((d) => d.xdp !== undefined)) throw new UsageError(`${where}: no device has an "xdp" program`);
  if (doc.maps === undefined) return { devices };
  if (!isObject(doc.maps)) throw new UsageError(`${where}: maps: expected an object of map names`);
  return { devices, mapInit: JSON.stringify(resolveDevices(doc.maps, ifindex, `${where}: maps`)) };
}
