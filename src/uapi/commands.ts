// bpf(2) commands (enum bpf_cmd).
// Values from the kernel's uapi <linux/bpf.h> (6.1 header plus the values added up to 6.18).
// Names drop the common prefix (BPF_); the *Name() function maps a number back.

export const BpfCmd = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5,
  OBJ_PIN: 6,
  OBJ_GET: 7,
  PROG_ATTACH: 8,
  PROG_DETACH: 9,
  PROG_TEST_RUN: 10,
  PROG_RUN: 10,
  PROG_GET_NEXT_ID: 11,
  MAP_GET_NEXT_ID: 12,
  PROG_GET_FD_BY_ID: 13,
  MAP_GET_FD_BY_ID: 14,
  OBJ_GET_INFO_BY_FD: 15,
  PROG_QUERY: 16,
  RAW_TRACEPOINT_OPEN: 17,
  BTF_LOAD: 18,
  BTF_GET_FD_BY_ID: 19,
  TASK_FD_QUERY: 20,
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
  MAP_FREEZE: 22,
  BTF_GET_NEXT_ID: 23,
  MAP_LOOKUP_BATCH: 24,
  MAP_LOOKUP_AND_DELETE_BATCH: 25,
  MAP_UPDATE_BATCH: 26,
  MAP_DELETE_BATCH: 27,
  LINK_CREATE: 28,
  LINK_UPDATE: 29,
  LINK_GET_FD_BY_ID: 30,
  LINK_GET_NEXT_ID: 31,
  ENABLE_STATS: 32,
  ITER_CREATE: 33,
  LINK_DETACH: 34,
  PROG_BIND_MAP: 35,
  TOKEN_CREATE: 36,
} as const;

export type BpfCmdName = keyof typeof BpfCmd;

// Reversed in reverse order so that, for a value with two names, the first wins: 10 is
// PROG_TEST_RUN (the name the VM's test runs report too), not its later alias PROG_RUN.
const names = new Map<number, BpfCmdName>(
  Object.entries(BpfCmd)
    .reverse()
    .map(([k, v]) => [v, k as BpfCmdName]),
);

/** The name of a BpfCmd value (the first, where it has an alias), or undefined if unknown. */
export function bpfCmdName(value: number): BpfCmdName | undefined {
  return names.get(value);
}
