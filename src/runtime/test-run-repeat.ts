// BPF_PROG_TEST_RUN's repeat count, checked the same way on both backends: the kernel's attribute
// is a u32 (bpf_attr.test.repeat), so a count the field cannot hold would be silently truncated
// (2^32 becomes 0, which the kernel then runs once). 0 means once, as in the kernel
// (bpf_test_run: `if (!repeat) repeat = 1`).

import { TsbpfError } from '../errors.js';

/** The repeat count to send, or a clear error for NaN, fractions, negatives and counts over u32. */
export function testRunRepeat(repeat: number | undefined): number {
  if (repeat === undefined) return 1;
  if (!Number.isInteger(repeat) || repeat < 0 || repeat > 0xffffffff)
    throw new TsbpfError(
      'INVALID_ARGUMENT',
      `test run: repeat must be an integer from 0 to 4294967295 (a u32), got ${String(repeat)}`,
    );
  return repeat;
}
