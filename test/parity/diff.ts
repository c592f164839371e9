// Describes where two byte strings differ, for the parity test's failure messages: the first
// differing byte offset, both bytes there, both lengths, and a window of hex around it. Works on
// hex text so that masked bytes ('--') and translated values compare the same way.

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** undefined when equal, else e.g. `byte 23 of 54: vm 0x40, kernel 0x3f (vm …4011…, kernel …3f11…)`. */
export function firstDiff(vm: string, kernel: string): string | undefined {
  if (vm === kernel) return undefined;
  if (!/^([0-9a-f]{2}|--)*$/.test(vm) || !/^([0-9a-f]{2}|--)*$/.test(kernel))
    return `vm ${vm}, kernel ${kernel}`;
  const n = Math.min(vm.length, kernel.length) / 2;
  let at = 0;
  while (at < n && vm.slice(2 * at, 2 * at + 2) === kernel.slice(2 * at, 2 * at + 2)) at++;
  const lengths =
    vm.length === kernel.length
      ? `of ${vm.length / 2}`
      : `(vm ${vm.length / 2} bytes, kernel ${kernel.length / 2})`;
  const byte = (s: string) => (2 * at < s.length ? `0x${s.slice(2 * at, 2 * at + 2)}` : 'end');
  const window = (s: string) =>
    `${at > 8 ? '…' : ''}${s.slice(Math.max(0, 2 * at - 16), 2 * at + 16)}${2 * at + 16 < s.length ? '…' : ''}`;
  return `byte ${at} ${lengths}: vm ${byte(vm)}, kernel ${byte(kernel)} (vm ${window(vm)}; kernel ${window(kernel)})`;
}
