// Runs a Scenario (scenarios.ts) in the simulation and reports its ScenarioOutcome.
import { readFileSync } from 'node:fs';
import { type LoadedMap, loadCollectionSpec } from '../../src/index.js';
import { generateTraffic, Network } from '../../src/net/index.js';
import { loadUnderTest as load } from '../engines.js';
import type { Scenario, ScenarioOutcome } from './scenarios.js';

const root = new URL('../../../', import.meta.url);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A map value as a number: u64/u32 little-endian, summed over the CPUs of a per-CPU value. */
function valueNumber(value: Uint8Array, perCpu: number): number {
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const stride = value.length / perCpu;
  let n = 0;
  for (let c = 0; c < perCpu; c++) {
    const at = c * stride;
    n += stride >= 8 ? Number(v.getBigUint64(at, true)) : v.getUint32(at, true);
  }
  return n;
}

/**
 * What a scenario's outcome compares of a collection's maps, on either backend: each counting
 * map's entries (key in hex → value as a number); device, CPU, socket and ring-buffer maps and
 * data sections are left out.
 */
export function mapNumbers(
  maps: ReadonlyMap<string, LoadedMap>,
  cpus: number,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [name, m] of maps) {
    if (
      ['DEVMAP', 'DEVMAP_HASH', 'CPUMAP', 'XSKMAP', 'RINGBUF'].includes(m.spec.type) ||
      name.startsWith('.')
    )
      continue;
    const perCpu = m.spec.type.startsWith('PERCPU') ? cpus : 1;
    const entries: Record<string, number> = {};
    for (let k = m.nextKey(); k !== undefined; k = m.nextKey(k))
      entries[hex(k)] = valueNumber(m.lookup(k)!, perCpu);
    out[name] = entries;
  }
  return out;
}

export function runScenarioSim(s: Scenario, options: { cpus?: number } = {}): ScenarioOutcome {
  const cpus = options.cpus ?? 2;
  using net = new Network({ cpus });
  for (const [a, b] of s.veths) net.addVethPair(a, b);
  const spec = loadCollectionSpec(new Uint8Array(readFileSync(new URL(`examples/${s.object}`, root))));
  using c = load(spec, { ...net.loadOptions(), cpus });
  for (const a of s.attach) net.attach(net.device(a.device), a.hook, c.program(a.program));
  const refs = { ifindex: (d: string) => net.device(d).ifindex, program: (p: string) => c.program(p).id };
  for (const e of s.maps?.(refs) ?? []) c.map(e.map).update(e.key, e.value);
  for (const t of s.traffic) {
    const dev = net.device(t.device);
    for (const p of generateTraffic(t.templates)) net.send(dev.peer!, p.data, p.timestamp);
  }
  const r = net.run();
  if (!r.idle) throw new Error(`scenario ${s.name}: not idle after ${r.polls} polls`);
  const received: Record<string, string[]> = {};
  const xdp: Record<string, Record<string, number>> = {};
  for (const d of net.devices) {
    received[d.name] = d.received.map((f) => hex(f.data)).sort();
    xdp[d.name] = { ...d.stats.xdp };
  }
  const maps = mapNumbers(c.maps, cpus);
  net.close();
  return { received, maps, xdp };
}
