// Text helpers of the page: hex bytes and register values.

export const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

export function parseHex(text: string): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s,:]/g, '');
  if (!/^[0-9a-f]*$/i.test(clean) || clean.length % 2 !== 0)
    throw new Error('the packet must be hex bytes (pairs of 0-9 a-f)');
  const out = new Uint8Array(clean.length / 2);
  for (let k = 0; k < out.length; k++) out[k] = Number.parseInt(clean.slice(2 * k, 2 * k + 2), 16);
  return out;
}

export const regHex = (v: bigint): string => `0x${v.toString(16)}`;

export const basename = (f: string): string => f.split('/').pop() ?? f;
