// The format language of bpf_trace_printk as the kernel accepts it (bpf_bprintf_prepare in
// kernel/bpf/helpers.c): printable ASCII, %% , flags [0 +- ], a width, l/ll, conversions
// d i u x X c s, and pointers %p %pK %px %pks %pus %pI4 %pi4 %pI6 %pi6; anything else (or more
// conversions than arguments) is refused, which the helper turns into -EINVAL.

/** Reads a NUL-terminated string at an address (bounded), or undefined when it faults. */
export type StringReader = (addr: bigint, max: number) => string | undefined;
/** Reads `n` bytes at an address, or undefined when it faults. */
export type BytesReader = (addr: bigint, n: number) => Uint8Array | undefined;

const isPrintable = (c: number) => (c >= 0x20 && c < 0x7f) || (c >= 0x09 && c <= 0x0d);

function pad(s: string, width: number, left: boolean, zero: boolean): string {
  if (s.length >= width) return s;
  if (left) return s.padEnd(width, ' ');
  if (zero) {
    const sign = s[0] === '-' || s[0] === '+' || s[0] === ' ' ? s[0] : '';
    return sign + s.slice(sign.length).padStart(width - sign.length, '0');
  }
  return s.padStart(width, ' ');
}

/**
 * Formats `fmt` (without its NUL) with up to `args.length` arguments; undefined when the kernel
 * would refuse the format.
 */
export function formatPrintk(
  fmt: string,
  args: readonly bigint[],
  readString: StringReader,
  readBytes: BytesReader,
): string | undefined {
  let out = '';
  let used = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt.charCodeAt(i);
    if (!isPrintable(c)) return undefined;
    if (fmt[i] !== '%') {
      out += fmt[i];
      continue;
    }
    if (fmt[i + 1] === '%') {
      out += '%';
      i++;
      continue;
    }
    if (used >= args.length) return undefined;
    const arg = args[used++]!;
    i++;
    let left = false;
    let zero = false;
    let plus = false;
    let space = false;
    for (; '0+- '.includes(fmt[i] ?? 'x'); i++) {
      if (fmt[i] === '-') left = true;
      else if (fmt[i] === '0') zero = true;
      else if (fmt[i] === '+') plus = true;
      else space = true;
    }
    let width = 0;
    if (fmt[i] !== undefined && fmt[i]! >= '1' && fmt[i]! <= '9') {
      for (; fmt[i] !== undefined && fmt[i]! >= '0' && fmt[i]! <= '9'; i++)
        width = width * 10 + Number(fmt[i]);
    }
    const p = fmt[i];
    if (p === 'p') {
      const n1 = fmt[i + 1];
      if ((n1 === 'k' || n1 === 'u') && fmt[i + 2] === 's') {
        i += 2;
        out += pad(readString(arg, 1024) ?? '', width, left, false);
        continue;
      }
      if (
        n1 === undefined ||
        /[\s!-/:-@[-`{-~]/.test(n1) ||
        n1 === 'K' ||
        n1 === 'x' ||
        n1 === 's' ||
        n1 === 'S'
      ) {
        // Plain pointers: %pK prints zeros (kptr_restrict), %px and %p the raw value here.
        if (n1 === 'K' || n1 === 'x' || n1 === 's' || n1 === 'S') i++;
        const v = n1 === 'K' ? 0n : BigInt.asUintN(64, arg);
        out += pad(v.toString(16).padStart(16, '0'), width, left, false);
        continue;
      }
      if ((n1 !== 'i' && n1 !== 'I') || (fmt[i + 2] !== '4' && fmt[i + 2] !== '6')) return undefined;
      const v6 = fmt[i + 2] === '6';
      i += 2;
      const b = readBytes(arg, v6 ? 16 : 4) ?? new Uint8Array(v6 ? 16 : 4);
      if (!v6) out += [...b].map((x) => (n1 === 'i' ? String(x).padStart(3, '0') : String(x))).join('.');
      else {
        const groups = [];
        for (let k = 0; k < 16; k += 2) groups.push(((b[k]! << 8) | b[k + 1]!).toString(16).padStart(4, '0'));
        out += n1 === 'i' ? groups.join('') : groups.join(':');
      }
      continue;
    }
    if (p === 's') {
      out += pad(readString(arg, 1024) ?? '', width, left, false);
      continue;
    }
    if (p === 'c') {
      out += pad(String.fromCharCode(Number(arg & 0xffn)), width, left, false);
      continue;
    }
    let bits = 32;
    if (fmt[i] === 'l') {
      bits = 64;
      i++;
    }
    if (fmt[i] === 'l') i++;
    const conv = fmt[i];
    let s: string;
    switch (conv) {
      case 'd':
      case 'i': {
        const v = BigInt.asIntN(bits, arg);
        s = v.toString();
        if (v >= 0n && plus) s = `+${s}`;
        else if (v >= 0n && space) s = ` ${s}`;
        break;
      }
      case 'u':
        s = BigInt.asUintN(bits, arg).toString();
        break;
      case 'x':
        s = BigInt.asUintN(bits, arg).toString(16);
        break;
      case 'X':
        s = BigInt.asUintN(bits, arg).toString(16).toUpperCase();
        break;
      default:
        return undefined;
    }
    out += pad(s, width, left, zero && !left);
  }
  return out;
}
