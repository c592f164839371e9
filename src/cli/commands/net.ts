// `tsbpf net attach|detach|show`: XDP programs on the devices of the running kernel, in bpftool's
// grammar and, as bpftool does it, through netlink (RTM_SETLINK with IFLA_XDP; libbpf's
// bpf_xdp_attach): no link is made, so the program stays attached after the command ends, until
// `net detach`. Unlike bpftool, `overwrite` swaps atomically and only the program it found
// (XDP_FLAGS_REPLACE), and detach takes off only the program it found: a change made meanwhile
// is refused by the kernel (EEXIST) instead of lost. The devices are those of the namespace the
// command runs in (`ip netns exec NS tsbpf net ...`).

import { NotSupportedError } from '../../index.js';
import type { NetlinkXdpAttachment, XdpAttachedMode } from '../../kernel/index.js';
import { usageLine } from '../args.js';
import { EXIT_OK } from '../exit.js';
import { kernelForm, kernelModule } from '../kernel-objects.js';
import type { Output } from '../output.js';

export const netUsage = `Usage: tsbpf net attach ATTACH_TYPE PROG dev NAME [overwrite]
       tsbpf net detach ATTACH_TYPE dev NAME
       tsbpf net show dev NAME [--json]
  ATTACH_TYPE := xdp | xdpgeneric | xdpdrv (xdp: native where the driver has it, else generic).
  PROG := id N | pinned PATH | name NAME. Attaches as bpftool does, through netlink: the
  program stays on the device after the command. Without 'overwrite', a device that already
  runs a program is refused (EBUSY); with it, the program found is swapped atomically. A libxdp
  dispatcher is never replaced. 'show' prints the device's XDP programs as bpftool's "xdp" rows.
       tsbpf net help`;

/** bpftool's ATTACH_TYPE words for XDP, as the mode they ask for (undefined: the kernel picks). */
const ATTACH_TYPES: Record<string, XdpAttachedMode | undefined> = {
  xdp: undefined,
  xdpgeneric: 'generic',
  xdpdrv: 'native',
};

function attachType(word: string | undefined, verb: string): XdpAttachedMode | undefined {
  if (word === 'xdpoffload') throw new NotSupportedError(`net ${verb} xdpoffload`, 'XDP offload to a NIC');
  if (word === 'tcx_ingress' || word === 'tcx_egress')
    throw new NotSupportedError(`net ${verb} ${word}`, 'TCX from the command line');
  if (word === undefined || !(word in ATTACH_TYPES))
    throw usageLine(`net ${verb}`, `ATTACH_TYPE xdp, xdpgeneric or xdpdrv, got '${word ?? 'nothing'}'`);
  return ATTACH_TYPES[word];
}

/** `dev NAME` at the head of `words`, and what follows. */
function devName(words: readonly string[], verb: string): { name: string; rest: string[] } {
  const [dev, name, ...rest] = words;
  if (dev !== 'dev' || name === undefined) throw usageLine(`net ${verb}`, 'dev NAME');
  return { name, rest };
}

async function netAttach(argv: string[], out: Output): Promise<number> {
  const [type, ...after] = argv;
  const mode = attachType(type, 'attach');
  const form = kernelForm(after, 'prog');
  if (form === undefined) throw usageLine('net attach', 'PROG as id N, pinned PATH or name NAME');
  const { name, rest } = devName(form.rest, 'attach');
  const overwrite = rest[0] === 'overwrite';
  if (rest.length > (overwrite ? 1 : 0))
    throw usageLine('net attach', `nothing after dev NAME but 'overwrite'`);
  const kernel = await kernelModule(`net attach ${form.label}`);
  const ifindex = kernel.netDevice(name).ifindex;
  using prog = kernel.openProgram(form.ref);
  const running = kernel.xdpAttached(ifindex);
  const found = mode === undefined ? running?.programIds.length : running?.[mode];
  let att: NetlinkXdpAttachment;
  if (overwrite && found !== undefined && found !== 0) {
    att = kernel.openXdpNetlink(ifindex, mode);
    try {
      att.update(prog); // expecting the program found: a change meanwhile is EEXIST
    } catch (e) {
      att.release();
      throw e;
    }
  } else {
    const made = kernel.attachXdp(prog, ifindex, { mode: mode ?? 'auto', via: 'netlink' });
    if (made.kind !== 'netlink') throw new Error('attachXdp via netlink made a bpf link');
    att = made;
  }
  const row = { devname: name, ifindex, mode: att.mode, id: prog.id };
  att.release(); // bpftool's attach outlives the command; so does this one
  out.data(row);
  out.text(`attached program ${prog.id} to ${name} (${att.mode})`);
  return EXIT_OK;
}

async function netDetach(argv: string[], out: Output): Promise<number> {
  const [type, ...after] = argv;
  const mode = attachType(type, 'detach');
  const { name, rest } = devName(after, 'detach');
  if (rest.length > 0) throw usageLine('net detach', 'nothing after dev NAME');
  const kernel = await kernelModule(`net detach dev ${name}`);
  const ifindex = kernel.netDevice(name).ifindex;
  const att = kernel.openXdpNetlink(ifindex, mode);
  const id = att.info().progId;
  try {
    att.detach();
  } finally {
    att.release();
  }
  out.data({ devname: name, ifindex, mode: att.mode, id });
  out.text(`detached program ${id} from ${name} (${att.mode})`);
  return EXIT_OK;
}

/** bpftool's words for the modes in `net show`. */
const SHOW_MODE = { native: 'driver', generic: 'generic' } as const;

async function netShow(argv: string[], out: Output): Promise<number> {
  if (argv.length === 0)
    throw new NotSupportedError('net show of every device', "name one: 'net show dev NAME'");
  const { name, rest } = devName(argv, 'show');
  if (rest.length > 0) throw usageLine('net show', 'dev NAME');
  const kernel = await kernelModule(`net show dev ${name}`);
  const ifindex = kernel.netDevice(name).ifindex;
  const running = kernel.xdpAttached(ifindex);
  const xdp = (['native', 'generic'] as const).flatMap((m) => {
    const id = running?.[m] ?? 0;
    return id === 0 ? [] : [{ devname: name, ifindex, mode: SHOW_MODE[m], id }];
  });
  out.data([{ xdp }]);
  out.text('xdp:');
  for (const r of xdp) out.text(`${r.devname}(${r.ifindex}) ${r.mode} id ${r.id}`);
  return EXIT_OK;
}

export async function netCommand(argv: string[], out: Output): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'attach':
      return netAttach(rest, out);
    case 'detach':
      return netDetach(rest, out);
    case 'show':
    case 'list':
      return netShow(rest, out);
    default:
      throw usageLine('net', `attach, detach, show or help, got '${verb ?? 'nothing'}'`);
  }
}
