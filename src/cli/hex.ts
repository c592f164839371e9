// Hex text <-> bytes for the CLI and the conformance plugin. Accepts bytes separated by
// white space ("b7 00 01"), contiguous hex ("b70001"), optional 0x prefixes and commas.

import { TsbpfError } from '../index.js';

export function parseHex(text: string, what = 'hex input'): Uint8Array {
  const tokens = text
    .replace(/0x/gi, ' ')
    .split(/[\s,]+/)
    .filter((t) => t.length > 0);
  const out: number[] = [];
  for (const t of tokens) {
    if (!/^[0-9a-fA-F]+$/.test(t)) throw new TsbpfError('INVALID_ARGUMENT', `${what}: '${t}' is not hex`);
    if (t.length <= 2) out.push(Number.parseInt(t, 16));
    else if (t.length % 2 === 0)
      for (let k = 0; k < t.length; k += 2) out.push(Number.parseInt(t.slice(k, k + 2), 16));
    else throw new TsbpfError('INVALID_ARGUMENT', `${what}: '${t}' has an odd number of digits`);
  }
  return Uint8Array.from(out);
}

export function toHex(bytes: Uint8Array, separator = ' '): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(separator);
}
