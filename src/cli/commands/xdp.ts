// `tsbpf xdp run OBJ --dev NAME=CAPTURE ...`: the main job. Makes one simulated device per --dev
// (ifindex 2, 3, ... in order; a wire each), attaches an XDP program of the object to every one
// (and a TC ingress program with --tc-ingress), feeds each device its capture (pcap or pcapng,
// Ethernet only), runs the network until idle, and prints per-device verdicts, redirects per
// target, what the stacks received and the devices sent, the map changes and the throughput.
// --out-pcap writes what each device transmitted; --dump writes an xdpdump-style pcapng.

import { join } from 'node:path';
import {
  type CollectionSpec,
  type LoadedMap,
  load,
  loadCollectionSpec,
  NotSupportedError,
  TsbpfError,
} from '../../index.js';
import {
  type DeviceOptions,
  type NetDevice,
  Network,
  type PcapPacket,
  writePcap,
  XdpDump,
} from '../../net/index.js';
import { intOption, parse, UsageError, usageLine } from '../args.js';
import { readCapture } from '../capture.js';
import { EXIT_INTERRUPTED, EXIT_OK } from '../exit.js';
import { makeDirectory, readText, writeBytes } from '../files.js';
import { readBytes } from '../input.js';
import { diffDumps, dumpMap, type Entry, initMaps, type MapChange } from '../loaded.js';
import type { Output } from '../output.js';
import { breathe, Interrupt, Progress } from '../progress.js';
import { type DeviceSetup, flatten, parseTopology } from '../topology.js';
import { type DeviceInput, xdpRunKernel } from './xdp-kernel.js';

export const xdpUsage = `Usage: tsbpf xdp run OBJ --dev NAME[=CAPTURE] [--dev ...] [--prog NAME] [--tc-ingress NAME]
                    [--queues N] [--cpus N] [--map-init FILE.json] [--out-pcap DIR|FILE.pcap]
                    [--dump FILE.pcapng] [--kernel] [--json]
       tsbpf xdp run OBJ --topology FILE.json [--cpus N] [--map-init FILE.json] [--out-pcap DIR]
                    [--dump FILE.pcapng] [--json]
  Runs an XDP program of OBJ on simulated devices fed from packet captures (pcap or pcapng,
  Ethernet), as the kernel's data path would: verdicts per device, redirects per target, the
  frames the stacks received and the devices sent, map changes and throughput. Devices get
  ifindex 2, 3, ... in --dev order (what devmap values name). --out-pcap writes what each device
  transmitted (a file for one device, NAME.pcap in a directory otherwise); --dump writes every
  frame at the program's entry and exit with its verdict (xdpdump style). --kernel runs the same
  on veth pairs in a network namespace of the running kernel (root), made for the run and removed
  after: verdicts from veth's XDP counters (XDP_ABORTED counted with the drops). --topology
  describes the devices in a JSON file instead (docs/cli.md): veth pairs, a capture and programs
  per device, map entries naming devices (examples/topology.json); simulation only. A long run
  shows a progress bar on a terminal; Ctrl-C stops it and reports what was run (exit status 130).`;

/** Polls before a run is called a loop (Network.run's own default limit). */
const MAX_POLLS = 1_000_000;

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

/** What `--dev NAME[=CAPTURE]` flags describe: one program (and TC program) on every device. */
function devSetups(
  devs: readonly string[],
  xdp: string,
  tcIngress: string | undefined,
  queues: number,
): DeviceSetup[] {
  return devs.map((d) => {
    const eq = d.indexOf('=');
    return {
      name: eq < 0 ? d : d.slice(0, eq),
      ...(eq < 0 ? {} : { capture: d.slice(eq + 1) }),
      xdp,
      ...(tcIngress === undefined ? {} : { tcIngress }),
      queues,
    };
  });
}

/** The simulated devices of a run, added in ifindex order (a veth pair together). */
function addDevices(net: Network, setups: readonly DeviceSetup[], where: string | undefined): NetDevice[] {
  const options = (d: DeviceSetup): DeviceOptions => ({
    name: d.name,
    ...(d.queues === undefined ? {} : { queues: d.queues }),
    ...(d.mac === undefined ? {} : { mac: d.mac }),
    ...(d.mtu === undefined ? {} : { mtu: d.mtu }),
    ...(d.gro === undefined ? {} : { gro: d.gro }),
  });
  try {
    return setups.flatMap((d) =>
      d.peer === undefined ? [net.addDevice(options(d))] : net.addVethPair(options(d), options(d.peer)),
    );
  } catch (e) {
    // A bad name, MAC or MTU: the network's own message, naming the file it came from.
    if (e instanceof TsbpfError && where !== undefined) throw new UsageError(`${where}: ${e.message}`);
    throw e;
  }
}

/** Frames of the NAPI polls between two looks at Ctrl-C and the progress bar. */
const POLLS_PER_SLICE = 64;

export async function xdpCommand(argv: string[], out: Output): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb !== 'run') throw usageLine('xdp', `run, got '${verb ?? 'nothing'}'`);
  const { values, positionals } = parse('xdp run', rest, {
    dev: { type: 'string', multiple: true },
    topology: { type: 'string' },
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
  const topologyPath = values.topology as string | undefined;
  if (topologyPath !== undefined) {
    for (const o of ['dev', 'prog', 'tc-ingress', 'queues'] as const)
      if (values[o] !== undefined)
        throw new UsageError(`--${o} and --topology: the topology file describes the devices and programs`);
  } else if (devs.length === 0)
    throw usageLine('xdp run', 'at least one --dev NAME[=CAPTURE] or --topology FILE');
  const queues = intOption('queues', values.queues as string | undefined, 1);
  const cpus = intOption('cpus', values.cpus as string | undefined, 2);
  if (queues < 1 || cpus < 1) throw new UsageError('--queues and --cpus want at least 1');
  const spec = loadCollectionSpec(readBytes(file, 'OBJ'));
  const topology =
    topologyPath === undefined
      ? undefined
      : parseTopology(readText(topologyPath, '--topology'), topologyPath);
  const mapInitPath = values['map-init'];
  const mapInit =
    typeof mapInitPath === 'string'
      ? { text: readText(mapInitPath, '--map-init'), path: mapInitPath }
      : undefined;
  if (values.kernel === true) {
    if (topology !== undefined)
      throw new NotSupportedError('xdp run --kernel --topology', 'use --dev with --kernel');
    for (const o of ['out-pcap', 'dump', 'cpus'] as const)
      if (values[o] !== undefined) throw new UsageError(`--${o} is for the simulation; not with --kernel`);
    const devices: DeviceInput[] = devSetups(devs, '', undefined, queues).map((d) => ({
      name: d.name,
      ...(d.capture === undefined ? {} : { capture: d.capture }),
      frames: d.capture === undefined ? [] : deviceCapture(d.capture, `--dev ${d.name}=${d.capture}`),
    }));
    const options = {
      prog: values.prog as string | undefined,
      tcIngress: values['tc-ingress'] as string | undefined,
      mapInit,
      queues,
    };
    return xdpRunKernel(spec, devices, options, out);
  }
  const setups =
    topology?.devices ??
    devSetups(
      devs,
      xdpProgramName(spec, values.prog as string | undefined),
      values['tc-ingress'] as string | undefined,
      queues,
    );
  const flat = flatten(setups);
  const frames = new Map(
    flat.flatMap((d) =>
      d.capture === undefined ? [] : [[d.name, deviceCapture(d.capture, `device ${d.name}: capture`)]],
    ),
  );
  const dump = typeof values.dump === 'string' ? new XdpDump() : undefined;
  const net = new Network({ cpus, ...(dump === undefined ? {} : { dump: dump.record }) });
  const netDevices = addDevices(net, setups, topologyPath && `--topology '${topologyPath}'`);
  using coll = load(spec, { ...net.loadOptions(), cpus });
  try {
    if (topology?.mapInit !== undefined)
      initMaps(coll, topology.mapInit, `--topology '${topologyPath}': maps`);
    if (mapInit !== undefined) initMaps(coll, mapInit.text, mapInit.path);
    const program = (name: string) => {
      const p = coll.programs.get(name);
      if (p === undefined)
        throw new UsageError(`no program '${name}' (programs: ${[...coll.programs.keys()].join(', ')})`);
      return p;
    };
    for (const [k, d] of flat.entries()) {
      const dev = netDevices[k]!;
      if (d.xdp !== undefined) net.attach(dev, 'xdp', program(d.xdp));
      if (d.tcIngress !== undefined) net.attach(dev, 'tc-ingress', program(d.tcIngress));
    }
    const before = dumps(coll.maps);
    let total = 0;
    for (const [k, d] of flat.entries()) {
      const f = frames.get(d.name) ?? [];
      net.inject(netDevices[k]!, f);
      total += f.length;
    }
    // The run in slices of polls: the progress bar is redrawn and a Ctrl-C seen between them.
    const progress = new Progress(out, total, 'frames');
    const interrupt = new Interrupt();
    const result = { polls: 0, frames: 0, idle: false };
    let seconds = 0;
    try {
      while (result.polls < MAX_POLLS && !interrupt.stopped) {
        const t0 = performance.now();
        const r = net.run({ maxPolls: Math.min(POLLS_PER_SLICE, MAX_POLLS - result.polls) });
        seconds += (performance.now() - t0) / 1000;
        result.polls += r.polls;
        result.frames += r.frames;
        progress.advance(r.frames);
        if (r.idle) {
          result.idle = true;
          break;
        }
        await breathe();
      }
    } finally {
      progress.finish();
      interrupt.dispose();
    }
    const changes = mapChanges(before, dumps(coll.maps));
    const outputs =
      typeof values['out-pcap'] === 'string' ? writeOutputs(values['out-pcap'], net.devices) : [];
    if (dump !== undefined) writeBytes(values.dump as string, dump.toPcapng(), '--dump');
    const devices = flat.map((d, k) => {
      const dev = netDevices[k]!;
      return {
        name: dev.name,
        ifindex: dev.ifindex,
        queues: dev.queues,
        ...(d.peer === undefined ? {} : { peer: d.peer.name }),
        ...(d.xdp === undefined ? {} : { program: d.xdp }),
        ...(d.tcIngress === undefined ? {} : { tc_ingress: d.tcIngress }),
        ...(d.capture === undefined ? {} : { capture: d.capture }),
        ...dev.stats,
      };
    });
    const programs = [...new Set(flat.flatMap((d) => (d.xdp === undefined ? [] : [d.xdp])))];
    const tcPrograms = [...new Set(flat.flatMap((d) => (d.tcIngress === undefined ? [] : [d.tcIngress])))];
    out.data({
      program: programs.join(', '),
      ...(tcPrograms.length === 0 ? {} : { tc_ingress: tcPrograms.join(', ') }),
      ...(topologyPath === undefined ? {} : { topology: topologyPath }),
      frames: total,
      polls: result.polls,
      idle: result.idle,
      ...(interrupt.stopped ? { interrupted: true } : {}),
      seconds,
      pps: seconds > 0 ? Math.round(result.frames / seconds) : null,
      devices,
      cpumap: net.cpumap,
      map_changes: changes,
      outputs,
      ...(dump === undefined ? {} : { dump: values.dump, dump_packets: dump.packets.length }),
    });
    out.text(
      `${programs.join(', ')}${tcPrograms.length === 0 ? '' : ` + TC ingress ${tcPrograms.join(', ')}`}: ${total} frames on ${devices.length} device${devices.length === 1 ? '' : 's'} in ${(seconds * 1000).toFixed(1)} ms (${rate(result.frames, seconds)}, ${result.polls} NAPI polls)`,
    );
    if (interrupt.stopped) out.text('  interrupted (Ctrl-C): the counts are of the frames run so far');
    else if (!result.idle)
      out.text('  stopped at the poll limit with frames still queued (a redirect loop?)');
    for (const d of devices) {
      const acts = Object.entries(d.xdp)
        .filter(([, n]) => n > 0)
        .map(([a, n]) => `${a} ${n}`);
      const about = [
        `ifindex ${d.ifindex}`,
        `${d.queues} queue${d.queues === 1 ? '' : 's'}`,
        ...(d.peer === undefined ? [] : [`veth peer ${d.peer}`]),
        ...(topology === undefined || d.program === undefined ? [] : [`XDP ${d.program}`]),
        ...(d.capture === undefined ? [] : [d.capture]),
      ];
      out.text(`${d.name} (${about.join(', ')})`);
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
    return interrupt.stopped ? EXIT_INTERRUPTED : EXIT_OK;
  } finally {
    net.close();
  }
}
