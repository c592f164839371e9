// `tsbpf xdp run OBJ --dev NAME=CAPTURE ...`: the main job. Makes one simulated device per --dev
// (ifindex 2, 3, ... in order; a wire each), attaches an XDP program of the object to every one
// (and a TC ingress program with --tc-ingress), feeds each device its capture (pcap or pcapng,
// Ethernet only), runs the network until idle, and prints per-device verdicts, redirects per
// target, what the stacks received and the devices sent, the map changes and the throughput.
// --out-pcap writes what each device transmitted; --dump writes an xdpdump-style pcapng.

import { join } from 'node:path';
import { type CollectionSpec, type LoadedMap, load, loadCollectionSpec } from '../../index.js';
import { type NetDevice, Network, type PcapPacket, writePcap, XdpDump } from '../../net/index.js';
import { intOption, parse, UsageError, usageLine } from '../args.js';
import { readCapture } from '../capture.js';
import { makeDirectory, readText, writeBytes } from '../files.js';
import { readBytes } from '../input.js';
import { diffDumps, dumpMap, type Entry, initMaps, type MapChange } from '../loaded.js';
import type { Output } from '../output.js';
import { type DeviceInput, xdpRunKernel } from './xdp-kernel.js';

export const xdpUsage = `Usage: tsbpf xdp run OBJ --dev NAME[=CAPTURE] [--dev ...] [--prog NAME] [--tc-ingress NAME]
                    [--queues N] [--cpus N] [--map-init FILE.json] [--out-pcap DIR|FILE.pcap]
                    [--dump FILE.pcapng] [--kernel] [--json]
  Runs an XDP program of OBJ on simulated devices fed from packet captures (pcap or pcapng,
  Ethernet), as the kernel's data path would: verdicts per device, redirects per target, the
  frames the stacks received and the devices sent, map changes and throughput. Devices get
  ifindex 2, 3, ... in --dev order (what devmap values name). --out-pcap writes what each device
  transmitted (a file for one device, NAME.pcap in a directory otherwise); --dump writes every
  frame at the program's entry and exit with its verdict (xdpdump style). --kernel runs the same
  on veth pairs in a network namespace of the running kernel (root), made for the run and removed
  after: verdicts from veth's XDP counters (XDP_ABORTED counted with the drops).`;

/** Reads a device's capture (capture.ts); a raw file or another link type is refused. */
export function deviceCapture(path: string, what: string): PcapPacket[] {
  const capture = readCapture(path, what);
  if (capture.format === 'raw') throw new UsageError(`${what}: '${path}' is not a pcap or pcapng file`);
  return [...capture.packets];
}

/** The XDP program to attach: `name`, or the object's one XDP program for a device. */
export function xdpProgramName(spec: CollectionSpec, name: string | undefined): string {
  if (name !== undefined) {
    if (!spec.programs.some((p) => p.name === name))
      throw new UsageError(`no program '${name}' (programs: ${spec.programs.map((p) => p.name).join(', ')})`);
    return name;
  }
  const candidates = spec.programs.filter(
    (p) => p.type === 'XDP' && (p.attachType === undefined || p.attachType === 'XDP'),
  );
  if (candidates.length !== 1)
    throw new UsageError(
      candidates.length === 0
        ? 'the object has no XDP program for a device'
        : `the object has ${candidates.length} XDP programs; choose one with --prog (${candidates.map((p) => p.name).join(', ')})`,
    );
  return candidates[0]!.name;
}

export function dumps(maps: ReadonlyMap<string, LoadedMap>): Map<string, Entry[]> {
  const out = new Map<string, Entry[]>();
  for (const [name, m] of maps) {
    const d = dumpMap(m);
    if (d !== undefined) out.set(name, d);
  }
  return out;
}

const compact = (b: string[] | undefined) => b?.map((x) => x.slice(2)).join('') ?? '-';

/** What changed in every map between two dumps. */
export function mapChanges(
  before: Map<string, Entry[]>,
  after: Map<string, Entry[]>,
): Record<string, MapChange[]> {
  const changes: Record<string, MapChange[]> = {};
  for (const [name, a] of after) {
    const c = diffDumps(before.get(name) ?? [], a);
    if (c.length > 0) changes[name] = c;
  }
  return changes;
}

export function printMapChanges(out: Output, changes: Record<string, MapChange[]>): void {
  const names = Object.keys(changes);
  out.text(names.length === 0 ? 'maps: no changes' : 'map changes:');
  for (const name of names) {
    const list = changes[name]!;
    out.text(`  ${name}: ${list.length} entr${list.length === 1 ? 'y' : 'ies'}`);
    for (const c of list.slice(0, 16))
      out.text(`    ${compact(c.key)}: ${compact(c.before)} -> ${compact(c.after)}`);
    if (list.length > 16) out.text(`    ... ${list.length - 16} more (--json has all)`);
  }
}

function rate(n: number, seconds: number): string {
  if (seconds <= 0) return '-';
  const r = n / seconds;
  return r >= 1e6
    ? `${(r / 1e6).toFixed(2)} Mpps`
    : r >= 1e3
      ? `${(r / 1e3).toFixed(1)} kpps`
      : `${r.toFixed(0)} pps`;
}

function writeOutputs(target: string, devices: readonly NetDevice[]): string[] {
  if (target.endsWith('.pcap')) {
    if (devices.length !== 1)
      throw new UsageError('--out-pcap FILE.pcap takes one device; give a directory for several');
    writeBytes(
      target,
      writePcap(devices[0]!.wire.map((f) => ({ ...f, originalLength: f.data.length }))),
      '--out-pcap',
    );
    return [target];
  }
  makeDirectory(target, '--out-pcap');
  return devices.map((d) => {
    const file = join(target, `${d.name}.pcap`);
    writeBytes(file, writePcap(d.wire.map((f) => ({ ...f, originalLength: f.data.length }))), '--out-pcap');
    return file;
  });
}

export function xdpCommand(argv: string[], out: Output): number | Promise<number> {
  const [verb, ...rest] = argv;
  if (verb !== 'run') throw usageLine('xdp', `run, got '${verb ?? 'nothing'}'`);
  const { values, positionals } = parse('xdp run', rest, {
    dev: { type: 'string', multiple: true },
    prog: { type: 'string' },
    'tc-ingress': { type: 'string' },
    queues: { type: 'string' },
    cpus: { type: 'string' },
    'map-init': { type: 'string' },
    'out-pcap': { type: 'string' },
    dump: { type: 'string' },
    kernel: { type: 'boolean' },
  });
  const [file] = positionals;
  const devs = (values as unknown as { dev?: string[] }).dev ?? [];
  if (file === undefined || positionals.length > 1) throw usageLine('xdp run', 'one OBJ');
  if (devs.length === 0) throw usageLine('xdp run', 'at least one --dev NAME[=CAPTURE]');
  const queues = intOption('queues', values.queues as string | undefined, 1);
  const cpus = intOption('cpus', values.cpus as string | undefined, 2);
  if (queues < 1 || cpus < 1) throw new UsageError('--queues and --cpus want at least 1');
  const spec = loadCollectionSpec(readBytes(file, 'OBJ'));
  const devices: DeviceInput[] = devs.map((d) => {
    const eq = d.indexOf('=');
    const capture = eq < 0 ? undefined : d.slice(eq + 1);
    return {
      name: eq < 0 ? d : d.slice(0, eq),
      ...(capture === undefined ? {} : { capture }),
      frames: capture === undefined ? [] : deviceCapture(capture, `--dev ${d}`),
    };
  });
  const mapInitPath = values['map-init'];
  const mapInit =
    typeof mapInitPath === 'string'
      ? { text: readText(mapInitPath, '--map-init'), path: mapInitPath }
      : undefined;
  if (values.kernel === true) {
    for (const o of ['out-pcap', 'dump', 'cpus'] as const)
      if (values[o] !== undefined) throw new UsageError(`--${o} is for the simulation; not with --kernel`);
    const options = {
      prog: values.prog as string | undefined,
      tcIngress: values['tc-ingress'] as string | undefined,
      mapInit,
      queues,
    };
    return xdpRunKernel(spec, devices, options, out);
  }
  const dump = typeof values.dump === 'string' ? new XdpDump() : undefined;
  const net = new Network({ cpus, ...(dump === undefined ? {} : { dump: dump.record }) });
  const inputs = devices.map((d) => ({ ...d, dev: net.addDevice({ name: d.name, queues }) }));
  using coll = load(spec, { ...net.loadOptions(), cpus });
  try {
    if (mapInit !== undefined) initMaps(coll, mapInit.text, mapInit.path);
    const prog = coll.program(xdpProgramName(spec, values.prog as string | undefined));
    const tc = typeof values['tc-ingress'] === 'string' ? coll.program(values['tc-ingress']) : undefined;
    for (const { dev } of inputs) {
      net.attach(dev, 'xdp', prog);
      if (tc !== undefined) net.attach(dev, 'tc-ingress', tc);
    }
    const before = dumps(coll.maps);
    let total = 0;
    for (const i of inputs) {
      net.inject(i.dev, i.frames);
      total += i.frames.length;
    }
    const t0 = performance.now();
    const result = net.run();
    const seconds = (performance.now() - t0) / 1000;
    const changes = mapChanges(before, dumps(coll.maps));
    const outputs =
      typeof values['out-pcap'] === 'string' ? writeOutputs(values['out-pcap'], net.devices) : [];
    if (dump !== undefined) writeBytes(values.dump as string, dump.toPcapng(), '--dump');
    const devices = inputs.map(({ dev, capture }) => ({
      name: dev.name,
      ifindex: dev.ifindex,
      queues: dev.queues,
      ...(capture === undefined ? {} : { capture }),
      ...dev.stats,
    }));
    out.data({
      program: prog.name,
      ...(tc === undefined ? {} : { tc_ingress: tc.name }),
      frames: total,
      polls: result.polls,
      idle: result.idle,
      seconds,
      pps: seconds > 0 ? Math.round(result.frames / seconds) : null,
      devices,
      cpumap: net.cpumap,
      map_changes: changes,
      outputs,
      ...(dump === undefined ? {} : { dump: values.dump, dump_packets: dump.packets.length }),
    });
    out.text(
      `${prog.name}${tc === undefined ? '' : ` + TC ingress ${tc.name}`}: ${total} frames on ${inputs.length} device${inputs.length === 1 ? '' : 's'} in ${(seconds * 1000).toFixed(1)} ms (${rate(result.frames, seconds)}, ${result.polls} NAPI polls)`,
    );
    if (!result.idle) out.text('  stopped at the poll limit with frames still queued (a redirect loop?)');
    for (const d of devices) {
      const acts = Object.entries(d.xdp)
        .filter(([, n]) => n > 0)
        .map(([a, n]) => `${a} ${n}`);
      out.text(
        `${d.name} (ifindex ${d.ifindex}, ${d.queues} queue${d.queues === 1 ? '' : 's'}${d.capture === undefined ? '' : `, ${d.capture}`})`,
      );
      out.text(`  rx ${d.rxPackets} frames, ${d.rxBytes} bytes; XDP: ${acts.join(', ') || 'none'}`);
      if (d.xdpExceptions > 0 || d.redirectErrors > 0)
        out.text(`  exceptions ${d.xdpExceptions}, redirect errors ${d.redirectErrors}`);
      for (const [target, n] of Object.entries(d.redirects)) out.text(`  redirected to ${target}: ${n}`);
      const tcs = Object.entries(d.tcIngress).filter(([, n]) => n > 0);
      if (tcs.length > 0) out.text(`  TC ingress: ${tcs.map(([o, n]) => `${o} ${n}`).join(', ')}`);
      out.text(
        `  stack received ${d.stack}; transmitted ${d.txPackets} frames, ${d.txBytes} bytes${d.txErrors > 0 ? `, ${d.txErrors} errors` : ''}`,
      );
    }
    if (net.cpumap.enqueued + net.cpumap.dropped > 0)
      out.text(
        `cpumap: ${net.cpumap.enqueued} queued, ${net.cpumap.dropped} dropped, ${net.cpumap.processed} processed`,
      );
    printMapChanges(out, changes);
    for (const o of outputs) out.text(`wrote ${o}`);
    if (dump !== undefined)
      out.text(`wrote ${values.dump as string} (${dump.packets.length} packets at entry and exit)`);
    return 0;
  } finally {
    net.close();
  }
}
