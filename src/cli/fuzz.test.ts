import { runCli } from './test-cli.js';
// The CLI fed bad arguments and bad files (issue 11, item 2): for every command, a valid command
// line is broken in one way — an unknown option, a bad option value (numbers out of range, NaN,
// unknown names), a missing file, a file of the wrong kind or corrupt contents (ELF, pcap,
// pcapng, --map-init JSON with null entries, non-integer keys, bytes over 255), an output in a
// folder that does not exist — and main() must answer with exit status 255 and exactly one line
// on stderr starting "Error: ", no stack trace and no "internal error" (a bug). Runs in-process
// (main with a captured Io); TSBPF_CLI_FUZZ_RUNS sets the runs per property (default 40).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { writePcap } from '../net/index.js';

const RUNS = Number(process.env.TSBPF_CLI_FUZZ_RUNS ?? 40);
const tmp = mkdtempSync(join(tmpdir(), 'tsbpf-fuzz-'));
const missing = join(tmp, 'no-such-folder', 'file');
let serial = 0;
function file(contents: Uint8Array | string, ext = ''): string {
  const p = join(tmp, `f${serial++}${ext}`);
  writeFileSync(p, contents);
  return p;
}

const ASM = file('r0 = r2\nexit\n', '.s');
const OBJ = 'examples/xdp_parse.v3.o';
const COUNT = 'examples/xdp_count_array.v3.o';
const PACKET = '000000000000000000000000080045000014000000004000400000000a0000010a000002';
const elf = new Uint8Array(readFileSync(OBJ));

const cli = (argv: string[]) => runCli(...argv);

function assertOneLineError(r: { code: number; err: string }, argv: string[]): void {
  const what = `tsbpf ${argv.join(' ')}\n${r.err}`;
  assert.equal(r.code, 255, what);
  assert.match(r.err, /^Error: [^\n]+\n$/, what);
  assert.doesNotMatch(r.err, /internal error|\n\s+at /, what);
}

/** The valid command lines the corruptions start from (each must succeed as it is). */
const BASES: Record<string, string[]> = {
  asm: ['asm', ASM],
  disasm: ['disasm', OBJ],
  run: ['run', ASM, '--mem', '01 02'],
  'map dump': ['map', 'dump', COUNT, 'proto_stats'],
  'prog show': ['prog', 'show', OBJ],
  'prog verify': ['prog', 'verify', OBJ],
  'prog run': ['prog', 'run', OBJ, '--packet', PACKET],
  'xdp run': ['xdp', 'run', 'examples/xdp_ddos.v3.o', '--dev', 'eth0=examples/ddos.pcap'],
};

test('every base command line succeeds (so each corruption below is what fails)', async () => {
  for (const argv of Object.values(BASES)) {
    const r = await cli(argv);
    assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
  }
});

const junk = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.startsWith('-') && !/^\s*$/.test(s));
/** Never a count: not an integer, or negative. */
const notCount = fc.oneof(
  fc.constantFrom('NaN', '-1', '1.5', '', ' ', '0x', 'ten', '--', 'Infinity', '1e400'),
  fc.integer({ min: -1e9, max: -1 }).map(String),
);
const notU32 = fc.oneof(
  fc.constantFrom('NaN', '-1', '1.5', '4294967296', '1e30', '', ' ', '0x', 'ten', '--', 'Infinity'),
  fc.bigInt({ min: 2n ** 32n, max: 2n ** 70n }).map(String),
  fc.integer({ min: -1e9, max: -1 }).map(String),
);

/** Option values that are always wrong, per command: [option, values]. */
const BAD_VALUES: Record<string, [string, fc.Arbitrary<string>][]> = {
  asm: [
    ['--syntax', junk],
    ['-o', fc.constant(missing)],
  ],
  disasm: [
    ['--syntax', junk],
    ['--numbers', junk],
    ['--format', junk],
    ['--section', junk],
    ['--prog', junk],
  ],
  run: [
    ['--budget', notCount],
    ['--helpers', junk],
    ['--format', junk],
    ['--mem', fc.constantFrom('zz', 'g0', '123', '0x123')],
    ['--mem-file', fc.constant(missing)],
  ],
  'map dump': [
    ['--backend', junk],
    ['--map-init', fc.constant(missing)],
  ],
  'prog show': [],
  'prog verify': [
    ['--log-level', fc.constantFrom('0', '3', 'x', '', '1.5')],
    ['--prog', junk],
  ],
  'prog run': [
    ['--repeat', notU32],
    ['--backend', junk],
    ['--engine', junk],
    ['--type', junk],
    ['--log-level', fc.constantFrom('0', '3', 'x', '')],
    ['--ctx-in', fc.constant(missing)],
    ['--data-in', fc.constant(missing)],
    ['--map-init', fc.constant(missing)],
    ['--data-out', fc.constant(`${missing}.pcap`)],
    ['--prog', junk],
    ['--target-btf', fc.constant(missing)],
  ],
  'xdp run': [
    ['--queues', notU32],
    ['--cpus', notU32],
    ['--prog', junk],
    ['--tc-ingress', junk],
    ['--map-init', fc.constant(missing)],
    ['--out-pcap', fc.constant(`${missing}.pcap`)],
    ['--dump', fc.constant(`${missing}.pcapng`)],
    ['--dev', fc.constant(`eth1=${missing}`)],
  ],
};

/** Replaces an option's value in argv, or appends the option. */
function withOption(argv: string[], option: string, value: string): string[] {
  const at = argv.indexOf(option);
  if (at < 0) return [...argv, option, value];
  const out = [...argv];
  out[at + 1] = value;
  return out;
}

const commands = fc.constantFrom(...Object.keys(BASES));

test('an unknown option is one line and status 255, for every command', async () => {
  await fc.assert(
    fc.asyncProperty(commands, fc.stringMatching(/^[a-z][a-z-]{0,10}$/), async (command, name) => {
      const argv = [...BASES[command]!, `--zz-${name}`];
      assertOneLineError(await cli(argv), argv);
    }),
    { numRuns: RUNS },
  );
});

test('a bad option value is one line and status 255, for every command', async () => {
  const cases = Object.entries(BAD_VALUES).flatMap(([command, options]) =>
    options.map(([option, values]) => values.map((v) => withOption(BASES[command]!, option, v))),
  );
  await fc.assert(
    fc.asyncProperty(fc.oneof(...cases), async (argv) => assertOneLineError(await cli(argv), argv)),
    { numRuns: RUNS * 4 },
  );
});

/** Corrupt objects: random bytes, a truncated or bit-flipped ELF, an empty file. */
const badObject = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 200 }).filter((b) => b[0] !== 0x7f),
  fc.integer({ min: 0, max: 512 }).map((n) => elf.slice(0, n)),
  fc
    .record({ at: fc.integer({ min: 16, max: 63 }), v: fc.integer({ min: 0, max: 255 }) })
    .map(({ at, v }) => {
      const b = elf.slice();
      b[at] = v ^ 0xff; // the ELF header's fields: sizes, offsets, counts
      return b;
    }),
);

test('a corrupt or missing object is one line and status 255 (prog, map, xdp)', async () => {
  const objCommands = fc.constantFrom('map dump', 'prog show', 'prog verify', 'prog run', 'xdp run');
  await fc.assert(
    fc.asyncProperty(objCommands, fc.option(badObject, { nil: undefined }), async (command, bytes) => {
      const base = BASES[command]!;
      const objAt = base.findIndex((a) => a.endsWith('.o'));
      const argv = [...base];
      argv[objAt] = bytes === undefined ? missing : file(bytes, '.o');
      const r = await cli(argv);
      // A flipped header byte may leave a loadable object; the property is about the refusals.
      if (r.code !== 0) assertOneLineError(r, argv);
    }),
    { numRuns: RUNS * 2 },
  );
});

const pcapHeader = writePcap([]);
/** Captures that are always wrong: truncated records, another link type, bad pcapng blocks, no packets. */
const badCapture = fc.oneof(
  fc.integer({ min: 1, max: 4000 }).map((extra) => {
    const rec = new Uint8Array(16);
    new DataView(rec.buffer).setUint32(8, 8 + extra, true); // claims more than the file holds
    return Uint8Array.from([...pcapHeader, ...rec, 1, 2, 3, 4, 5, 6, 7, 8]);
  }),
  fc
    .constantFrom(0, 101, 113, 228, 276)
    .map((lt) => writePcap([{ timestamp: 0n, data: new Uint8Array(40), originalLength: 40 }], lt)),
  fc
    .integer({ min: 0, max: 11 })
    .map((n) => Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, n, 0, 0, 0, 0x4d, 0x3c])),
  fc.constant(pcapHeader),
);

test('a corrupt capture is one line and status 255 (prog run --data-in, xdp run --dev)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.boolean(), badCapture, async (xdp, bytes) => {
      const capture = file(bytes, '.pcap');
      const argv = xdp
        ? withOption(BASES['xdp run']!, '--dev', `eth0=${capture}`)
        : ['prog', 'run', OBJ, '--data-in', capture];
      const r = await cli(argv);
      // xdp run takes an empty capture as a quiet device; everything else must be refused.
      if (xdp && bytes === pcapHeader) return;
      assertOneLineError(r, argv);
    }),
    { numRuns: RUNS * 2 },
  );
});

const byteOver = fc.integer({ min: 256, max: 100000 });
/** --map-init documents that are always wrong for proto_stats (key 4 bytes, value 16). */
const badMapInit = fc.oneof(
  fc.constant('{'),
  fc.constantFrom('[]', 'null', '1', '"x"'),
  fc.constant('{"proto_stats": {"key": 1}}'),
  fc.constant('{"proto_stats": [null]}'),
  fc.constant('{"proto_stats": [[1, 2]]}'),
  fc.constant('{"no_such_map": []}'),
  fc
    .double({ noInteger: true, noDefaultInfinity: true, noNaN: true })
    .map((k) => `{"proto_stats": [{"key": ${k}, "value": 0}]}`),
  byteOver.map((b) => `{"proto_stats": [{"key": [${b}, 0, 0, 0], "value": 0}]}`),
  byteOver.map((b) => `{"proto_stats": [{"key": 0, "value": [${b}${', 0'.repeat(15)}]}]}`),
  fc
    .integer({ min: 0, max: 20 })
    .filter((n) => n !== 4)
    .map((n) => `{"proto_stats": [{"key": [${Array(n).fill(0)}], "value": 0}]}`),
  fc
    .constantFrom('"zz"', 'true', '{}', '4294967296', '-2147483649')
    .map((k) => `{"proto_stats": [{"key": ${k}, "value": 0}]}`),
  fc.constant('{"proto_stats": [{"key": 0}]}'),
  fc.constant('{"proto_stats": [{"key": 999, "value": 0}]}'),
);

test('a bad --map-init file is one line and status 255 (map, prog run, xdp run)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('map', 'prog', 'xdp'), badMapInit, async (command, doc) => {
      const init = file(doc, '.json');
      const argv =
        command === 'map'
          ? [...BASES['map dump']!, '--map-init', init]
          : command === 'prog'
            ? ['prog', 'run', COUNT, '--packet', PACKET, '--map-init', init]
            : ['xdp', 'run', COUNT, '--dev', 'eth0=examples/ddos.pcap', '--map-init', init];
      assertOneLineError(await cli(argv), argv);
    }),
    { numRuns: RUNS * 2 },
  );
});

test('missing arguments and unknown verbs are one line and status 255', async () => {
  for (const argv of [
    ['nonsense'],
    ['prog'],
    ['prog', 'frobnicate'],
    ['prog', 'run'],
    ['prog', 'run', OBJ],
    ['prog', 'run', OBJ, 'data_in'],
    ['prog', 'run', 'id', '4294967295', 'data_in', 'x'],
    ['prog', 'verify'],
    ['map'],
    ['map', 'dump', COUNT],
    ['map', 'lookup', COUNT, 'proto_stats', 'key', '1', '2'],
    ['map', 'lookup', COUNT, 'proto_stats', 'key', '256', '0', '0', '0'],
    ['xdp'],
    ['xdp', 'run', OBJ],
    ['run'],
    ['asm'],
    ['disasm'],
    ['prog', 'run', OBJ, '--packet', PACKET, '--format', 'pcap'],
    ['prog', 'run', OBJ, '--packet', PACKET, '--data-in', 'x'],
    ['prog', 'run', OBJ, '--packet', PACKET, '--data-out', join(tmp, 'out.txt'), '--format', 'gif'],
  ]) {
    assertOneLineError(await cli(argv), argv);
  }
});
