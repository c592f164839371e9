// The playground: pick a bundled example object (or drop one), pick or edit a packet (hex, a
// preset, or a pcap), run it on tsbpf's interpreter as a recorded DebugSession, and move through
// the run forwards and backwards by C line or instruction, with breakpoints on C lines. Shows the
// C source (current line highlighted), the disassembly, registers, the call stack, the stack,
// the packet (bytes the last instruction touched highlighted), the context, maps, and the
// verifier's verdict with its explanation at the C line when it refuses. Everything runs in the
// page: catalog.json and the files it names are static.

import {
  type CollectionSpec,
  DebugSession,
  type DebugStop,
  formatInstruction,
  load,
  loadCollectionSpec,
  type ProgramSpec,
  programInput,
  slotTable,
  VerifierError,
  verifyProgram,
} from 'tsbpf';
import { generateTraffic, isPcap, readPcap } from 'tsbpf/net';
import { basename, hex, parseHex, regHex } from './format.js';
import { type Touched, touchedBy } from './touched.js';

interface Example {
  readonly name: string;
  readonly object: string;
  readonly sources: readonly string[];
  readonly note: string;
}
interface Preset {
  readonly name: string;
  readonly file: string;
  readonly description: string;
}
interface Catalog {
  readonly examples: readonly Example[];
  readonly packets: readonly Preset[];
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const el = (tag: string, cls?: string, text?: string): HTMLElement => {
  const e = document.createElement(tag);
  if (cls !== undefined) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
const bytesOf = async (path: string): Promise<Uint8Array> =>
  new Uint8Array(await (await fetch(path)).arrayBuffer());

let spec: CollectionSpec | undefined;
/** Source files by base name: their lines. */
let sources = new Map<string, string[]>();
let session: DebugSession | undefined;
/** Breakpoints the user set: `file:line` → the session's id. */
const breakpoints = new Map<string, number | undefined>();
let shownFile = '';
let lastRegs: readonly bigint[] = [];
let refusedAt: { file: string; line: number } | undefined;

async function main(): Promise<void> {
  const catalog = (await (await fetch('catalog.json')).json()) as Catalog;
  const ex = $<HTMLSelectElement>('example');
  for (const e of catalog.examples) ex.append(new Option(`${e.name} — ${e.note}`, e.name));
  const pk = $<HTMLSelectElement>('preset');
  for (const p of catalog.packets) pk.append(new Option(`${p.name} — ${p.description}`, p.file));
  ex.onchange = () => void openExample(catalog.examples.find((e) => e.name === ex.value)!);
  pk.onchange = async () => {
    $<HTMLTextAreaElement>('packet').value = hex(await bytesOf(`packets/${pk.value}`));
  };
  $('run').onclick = () => run();
  $('file-select').onchange = () => showFile($<HTMLSelectElement>('file-select').value);
  $('object-file').onchange = () => void dropObject();
  $('pcap-file').onchange = () => void dropPcap();
  $('builder').onsubmit = (e) => {
    e.preventDefault();
    buildPacket();
  };
  // Drag and drop anywhere on the page: an object or a capture.
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    const f = e.dataTransfer?.files[0];
    if (f !== undefined) void openFile(f);
  });
  const motion: [string, (s: DebugSession) => DebugStop][] = [
    ['step', (s) => s.stepLine()],
    ['next', (s) => s.next()],
    ['stepi', (s) => s.stepInstruction()],
    ['finish', (s) => s.finish()],
    ['continue', (s) => s.continue()],
    ['step-back', (s) => s.stepLine('backward')],
    ['next-back', (s) => s.next('backward')],
    ['stepi-back', (s) => s.stepInstruction('backward')],
    ['reverse-continue', (s) => s.continue('backward')],
  ];
  for (const [id, move] of motion)
    $(id).onclick = () => {
      if (session !== undefined) render(move(session));
    };
  $('watch-add').onclick = () => {
    const input = $<HTMLInputElement>('watch');
    try {
      session?.addWatch(input.value);
      input.value = '';
      if (session !== undefined) render(undefined);
    } catch (e) {
      $('status').textContent = String(e instanceof Error ? e.message : e);
    }
  };
  await openExample(catalog.examples[0]!);
  pk.value = catalog.packets.find((p) => p.name === 'ipv4_udp')?.file ?? catalog.packets[0]!.file;
  await pk.onchange?.(new Event('change'));
  document.body.dataset.ready = 'true';
}

async function openExample(e: Example): Promise<void> {
  const texts = await Promise.all(e.sources.map(async (s) => [basename(s), await (await fetch(s)).text()]));
  openSpec(loadCollectionSpec(await bytesOf(e.object)), new Map(texts.map(([n, t]) => [n!, t!.split('\n')])));
}

async function dropObject(): Promise<void> {
  const f = $<HTMLInputElement>('object-file').files?.[0];
  if (f !== undefined) await openFile(f);
}

async function dropPcap(): Promise<void> {
  const f = $<HTMLInputElement>('pcap-file').files?.[0];
  if (f !== undefined) await openFile(f);
}

const isElf = (b: Uint8Array): boolean => b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

/**
 * A file chosen or dropped on the page: an ELF object opens (without its C file the source
 * view shows the lines the object's line info carries); a pcap gives the packet at `#`; any
 * other file is taken as one raw frame. A bad file is reported in the status line.
 */
async function openFile(f: File): Promise<void> {
  try {
    const bytes = new Uint8Array(await f.arrayBuffer());
    if (isElf(bytes)) {
      openSpec(loadCollectionSpec(bytes), new Map());
      return;
    }
    const index = Number($<HTMLInputElement>('pcap-index').value || '0');
    const p = isPcap(bytes) ? readPcap(bytes).packets[index]?.data : bytes;
    if (p === undefined) $('status').textContent = `the capture has no packet ${index}`;
    else $<HTMLTextAreaElement>('packet').value = hex(p);
  } catch (e) {
    $('status').textContent = `${f.name}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** The small packet builder: one Ethernet/IPv4 UDP or TCP frame from the traffic generator. */
function buildPacket(): void {
  const field = (id: string) => $<HTMLInputElement>(id).value.trim();
  const vlan = field('b-vlan');
  try {
    const [frame] = generateTraffic({
      count: 1,
      protocol: $<HTMLSelectElement>('b-proto').value === 'tcp' ? 'tcp' : 'udp',
      src: field('b-src'),
      dst: field('b-dst'),
      srcPort: Number(field('b-sport')),
      dstPort: Number(field('b-dport')),
      size: Number(field('b-size')),
      ...(vlan === '' ? {} : { vlan: Number(vlan) }),
    });
    $<HTMLTextAreaElement>('packet').value = hex(frame!.data);
    $('status').textContent = `built a ${frame!.data.length}-byte frame`;
  } catch (e) {
    $('status').textContent = e instanceof Error ? e.message : String(e);
  }
}

function openSpec(s: CollectionSpec, files: Map<string, string[]>): void {
  session?.close();
  session = undefined;
  spec = s;
  // Lines the object's line info carries fill in files the page was not given.
  for (const p of s.programs)
    for (const l of p.lineInfo) {
      if (l.line === 0) continue;
      const name = basename(l.file);
      if (!files.has(name)) files.set(name, []);
      const lines = files.get(name)!;
      if (lines[l.line - 1] === undefined || lines[l.line - 1] === '') {
        while (lines.length < l.line) lines.push('');
        lines[l.line - 1] = l.text;
      }
    }
  sources = files;
  breakpoints.clear();
  const prog = $<HTMLSelectElement>('program');
  prog.replaceChildren(...s.programs.map((p) => new Option(`${p.name} (${p.type})`, p.name)));
  const fs = $<HTMLSelectElement>('file-select');
  fs.replaceChildren(...[...files.keys()].map((n) => new Option(n, n)));
  refusedAt = undefined;
  $('verdict').textContent = 'press Run';
  $('verdict').className = '';
  showFile([...files.keys()].find((n) => n.endsWith('.c')) ?? [...files.keys()][0] ?? '');
  for (const id of ['disasm', 'registers', 'stack', 'packet-view', 'maps', 'callstack', 'context', 'watches'])
    $(id).replaceChildren();
}

/** The verifier's verdict on every program of the object, with the explanation of a refusal. */
function verdicts(
  s: CollectionSpec,
  selected: string,
): { text: string; refused: boolean; at?: { file: string; line: number } } {
  const coll = load(s, { verify: false, engine: 'interp' });
  try {
    const out: string[] = [];
    let refused = false;
    let at: { file: string; line: number } | undefined;
    for (const p of coll.spec.programs) {
      try {
        const r = verifyProgram(programInput(coll.spec, p));
        if (r.verdict === 'accepted') out.push(`${p.name}: accepted (${r.stats.processed} insns processed)`);
        else {
          refused = true;
          out.push(`${p.name}: REFUSED\n${r.explanationText ?? r.log}`);
          // The selected program's refusal is the one shown in the source, else the first.
          const m = /^([^:\s]+):(\d+)/.exec(r.explanation?.source ?? '');
          if (m !== null && (at === undefined || p.name === selected))
            at = { file: basename(m[1]!), line: Number(m[2]) };
        }
      } catch (e) {
        out.push(`${p.name}: not verified (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    return { text: out.join('\n'), refused, ...(at === undefined ? {} : { at }) };
  } finally {
    coll.close();
  }
}

function run(): void {
  if (spec === undefined) return;
  session?.close();
  session = undefined;
  const verify = $<HTMLInputElement>('verify').checked;
  const status = $('status');
  let packet: Uint8Array;
  try {
    packet = parseHex($<HTMLTextAreaElement>('packet').value);
  } catch (e) {
    status.textContent = (e as Error).message;
    return;
  }
  const v = verdicts(spec, $<HTMLSelectElement>('program').value);
  const box = $('verdict');
  box.textContent = `verifier: ${v.text}`;
  box.className = v.refused ? 'refused' : 'accepted';
  refusedAt = v.refused ? v.at : undefined;
  try {
    session = DebugSession.start(spec, { program: $<HTMLSelectElement>('program').value, packet, verify });
  } catch (e) {
    status.textContent =
      e instanceof VerifierError
        ? 'not run: the verifier refused the object (untick "verify" to run it anyway)'
        : `not run: ${e instanceof Error ? e.message : String(e)}`;
    if (refusedAt !== undefined) showFile(refusedAt.file);
    return;
  }
  for (const key of breakpoints.keys()) addBreakpoint(key);
  lastRegs = [];
  render(undefined);
}

function addBreakpoint(key: string): void {
  const [file, line] = key.split(':') as [string, string];
  const info = session?.addBreakpoint({ kind: 'line', line: Number(line), file });
  breakpoints.set(key, info?.id);
}

function toggleBreakpoint(file: string, line: number): void {
  const key = `${file}:${line}`;
  if (breakpoints.has(key)) {
    const id = breakpoints.get(key);
    if (id !== undefined) session?.deleteBreakpoint(id);
    breakpoints.delete(key);
  } else if (session !== undefined) addBreakpoint(key);
  else breakpoints.set(key, undefined);
  showFile(shownFile);
}

function showFile(name: string): void {
  shownFile = name;
  $<HTMLSelectElement>('file-select').value = name;
  const here = session?.location().line;
  const current = here !== undefined && basename(here.file) === name ? here.line : -1;
  const rows = (sources.get(name) ?? []).map((text, k) => {
    const n = k + 1;
    const row = el('div', 'src-line');
    row.dataset.line = String(n);
    if (n === current) row.classList.add('current');
    if (refusedAt?.file === name && refusedAt.line === n) row.classList.add('refused');
    if (breakpoints.has(`${name}:${n}`)) row.classList.add('bp');
    const gutter = el('span', 'gutter', String(n));
    gutter.onclick = () => toggleBreakpoint(name, n);
    row.append(gutter, el('span', 'code', text));
    return row;
  });
  const view = $('source');
  view.replaceChildren(...rows);
  view.querySelector('.current, .refused')?.scrollIntoView({ block: 'center' });
}

/** Slot-indexed disassembly of a program. */
const listings = new WeakMap<ProgramSpec, { text: string[]; insn: ProgramSpec['instructions'][number][] }>();
function listing(p: ProgramSpec): { text: string[]; insn: ProgramSpec['instructions'][number][] } {
  let l = listings.get(p);
  if (l === undefined) {
    const { slotOf } = slotTable(p.instructions);
    l = { text: [], insn: [] };
    p.instructions.forEach((i, n) => {
      l!.text[slotOf[n]!] = formatInstruction(i, slotOf[n]!);
      l!.insn[slotOf[n]!] = i;
    });
    listings.set(p, l);
  }
  return l;
}

function render(stop: DebugStop | undefined): void {
  const s = session!;
  const loc = s.location();
  const end = s.end;
  const outcome = end.kind === 'exit' ? `returned ${end.retval}` : `faulted: ${end.error.message}`;
  $('status').textContent =
    `${stop === undefined ? 'paused' : `stopped (${stop.reason})`} at position ${loc.position} of ${s.length} — ` +
    `${loc.program} pc ${loc.pc} — the run ${outcome}`;
  $('status').dataset.reason = stop?.reason ?? 'start';
  $('status').dataset.line = String(loc.line?.line ?? '');
  if (loc.line !== undefined) showFile(basename(loc.line.file));
  else showFile(shownFile);

  const prog = s.programs.find((p) => p.name === loc.program)!;
  const l = listing(prog);
  $('disasm').replaceChildren(
    ...l.text.flatMap((t, pc) => {
      if (t === undefined) return [];
      const row = el('div', pc === loc.pc ? 'insn current' : 'insn', `${String(pc).padStart(4)}: ${t}`);
      row.dataset.pc = String(pc);
      return [row];
    }),
  );
  $('disasm').querySelector('.current')?.scrollIntoView({ block: 'center' });

  const regs = s.registers();
  $('registers').replaceChildren(
    ...regs.map((v, k) => {
      const tr = el('tr', lastRegs[k] !== undefined && lastRegs[k] !== v ? 'changed' : '');
      tr.dataset.reg = `r${k}`;
      const cell = el('td', 'value', regHex(v));
      tr.append(el('td', 'name', `r${k}`), cell, el('td', 'dec', String(BigInt.asIntN(64, v))));
      return tr;
    }),
  );
  lastRegs = [...regs];

  $('callstack').replaceChildren(
    ...s
      .callStack()
      .map((f) =>
        el(
          'div',
          'frame',
          `${f.function} (${f.kind}) pc ${f.pc}${f.line === undefined ? '' : ` ${basename(f.line.file)}:${f.line.line}`}`,
        ),
      ),
  );

  // What the previous instruction touched, from its operands and the registers before it.
  let touched: Touched | undefined;
  if (loc.position > 0) {
    const before = s.location(loc.position - 1);
    const p = s.programs.find((q) => q.name === before.program)!;
    s.seek(loc.position - 1);
    const i = listing(p).insn[before.pc];
    touched = i === undefined ? undefined : touchedBy(i, s.registers());
    s.seek(loc.position);
  }
  const isTouched = (addr: number) =>
    touched !== undefined && addr >= touched.addr && addr < touched.addr + touched.size;

  const fp = Number(regs[10]! & 0xffffffffn);
  $('stack').replaceChildren(
    ...s
      .stackSlots()
      .filter((slot) => slot.value.some((b) => b !== 0) || isTouched(fp + slot.offset))
      .map((slot) =>
        el(
          'div',
          isTouched(fp + slot.offset) ? 'slot touched' : 'slot',
          `fp${slot.offset}: ${hex(slot.value)}`,
        ),
      ),
  );

  const pkt = s.packet();
  const rows: HTMLElement[] = [];
  for (let off = 0; off < pkt.bytes.length; off += 16) {
    const row = el('div', 'pkt-row');
    row.append(el('span', 'off', off.toString(16).padStart(4, '0')));
    for (let b = off; b < Math.min(off + 16, pkt.bytes.length); b++) {
      const cell = el(
        'span',
        isTouched(pkt.start + b) ? 'byte touched' : 'byte',
        hex(pkt.bytes.subarray(b, b + 1)),
      );
      cell.dataset.offset = String(b);
      row.append(cell);
    }
    rows.push(row);
  }
  $('packet-view').replaceChildren(
    el('div', 'muted', `${pkt.bytes.length} bytes at 0x${pkt.start.toString(16)}`),
    ...rows,
  );

  $('context').replaceChildren(...s.context().map((f) => el('div', 'field', `${f.name} = ${f.value}`)));

  const maps: HTMLElement[] = [];
  for (const [name, entries] of s.maps()) {
    const shown = [...entries].filter(([, v]) => v.some((b) => b !== 0));
    maps.push(el('div', 'map-name', `${name}: ${entries.size} entries, ${shown.length} non-zero`));
    for (const [k, v] of shown.slice(0, 16)) maps.push(el('div', 'map-entry', `[${k}] ${hex(v)}`));
  }
  $('maps').replaceChildren(...maps);
  $('watches').replaceChildren(...s.watches().map((w) => el('div', 'watch', `${w.expression} = ${w.value}`)));
}

main().catch((e: unknown) => {
  $('status').textContent = `the playground failed to start: ${e instanceof Error ? e.message : String(e)}`;
});
