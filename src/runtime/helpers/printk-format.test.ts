// bpf_trace_printk formats: conversions, flags and widths, pointers, and the formats the
// kernel refuses (unknown conversions, more conversions than arguments, non-printable bytes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPrintk } from './printk-format.js';

const mem = new Map<bigint, Uint8Array>([
  [0x1000n, Uint8Array.of(10, 0, 0, 1)],
  [0x2000n, Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1)],
  [0x3000n, new TextEncoder().encode('hello\0')],
]);
const f = (fmt: string, ...args: bigint[]) =>
  formatPrintk(
    fmt,
    args,
    (a) => {
      const b = mem.get(a);
      return b === undefined ? undefined : String.fromCharCode(...b.subarray(0, b.indexOf(0)));
    },
    (a, n) => mem.get(a)?.subarray(0, n),
  );

test('integers: sizes, signedness, hex, flags and width', () => {
  assert.equal(f('%d %u %x %X', 0xffffffffn, 0xffffffffn, 255n, 255n), '-1 4294967295 ff FF');
  assert.equal(
    f('%lld %llu %llx', 0xffffffffffffffffn, 0xffffffffffffffffn, 0x1234n),
    '-1 18446744073709551615 1234',
  );
  assert.equal(f('[%5d|%-5d|%05d]', 42n, 42n, 0xfffffffen), '[   42|42   |-0002]');
  assert.equal(f('%+d %i %%', 3n, 7n), '+3 7 %');
  assert.equal(f('%c%c', 0x41n, 0x42n), 'AB');
});

test('pointers, addresses and strings', () => {
  assert.equal(f('%pI4 %pi4', 0x1000n, 0x1000n), '10.0.0.1 010.000.000.001');
  assert.equal(f('%pI6', 0x2000n), '2001:0db8:0000:0000:0000:0000:0000:0001');
  assert.equal(f('%s!', 0x3000n), 'hello!');
  assert.equal(f('%s|', 0x9999n), '|');
  assert.equal(f('%pK', 0x1234n), '0000000000000000');
});

test('formats the kernel refuses', () => {
  assert.equal(f('%q', 1n), undefined);
  assert.equal(f('%d %d %d %d', 1n, 2n, 3n), undefined);
  assert.equal(f('%.2d', 1n), undefined);
  assert.equal(f('%pZ', 1n), undefined);
  assert.equal(f('bell\x07', 1n), undefined);
});
