// The exit statuses of `tsbpf`, as bpftool's: 0 when the command did what was asked, 255 (its
// `return -1`) for anything else. Interrupted runs exit as shells expect of SIGINT (128 + 2).
// docs/cli.md has the table of which outcome gives which status.

export const EXIT_OK = 0;
export const EXIT_ERROR = 255;
export const EXIT_INTERRUPTED = 130;
/** `map lookup` of a missing key: bpftool returns -ENOENT (254). */
export const EXIT_NOT_FOUND = 254;
