// Printing for the CLI: plain text for people, JSON (one document per command) for --json
// (indented with -p/--pretty, as bpftool's), and errors in both forms (bpftool prints
// {"error": "..."} under --json). Everything goes through an Io so tests can run main() in-process.

import { TsbpfError, VerifierError } from '../index.js';
import { EXIT_ERROR } from './exit.js';
import { permissionHint } from './permissions.js';

/** Where the CLI writes, and whether standard error is a terminal (for the progress bar). */
export interface Io {
  out(s: string): void;
  err(s: string): void;
  readonly tty: boolean;
}

export const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  get tty() {
    return process.stderr.isTTY === true;
  },
};

export interface Output {
  readonly json: boolean;
  readonly pretty: boolean;
  /** -d/--debug: print all the logs there are (the verifier's at level 2). */
  readonly debug: boolean;
  readonly io: Io;
  text(line: string): void;
  data(value: unknown): void;
}

/** JSON.stringify that writes bigints as decimal strings (they would throw otherwise). */
export function toJson(value: unknown, pretty = false): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), pretty ? 2 : undefined);
}

export function makeOutput(
  json: boolean,
  io: Io = processIo,
  { pretty = false, debug = false }: { pretty?: boolean; debug?: boolean } = {},
): Output {
  return {
    json,
    pretty,
    debug,
    io,
    text: (line) => {
      if (!json) io.out(`${line}\n`);
    },
    data: (value) => {
      if (json) io.out(`${toJson(value, pretty)}\n`);
    },
  };
}

/**
 * Reports an error in one line (stderr, or {"error"} on stdout under --json) and returns the
 * exit status. A TsbpfError is the user's (bad input, a refusal); anything else is a bug in
 * tsbpf, said so plainly, with the stack only under -d.
 */
export function reportError(e: unknown, out: Output): number {
  const known = e instanceof TsbpfError;
  const hint = permissionHint(e);
  const message = known
    ? `${e.message}${hint === undefined ? '' : ` (${hint})`}`
    : `internal error (a bug in tsbpf; -d shows where): ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  // A verifier's refusal carries its whole log: printed first, as libbpf prints it for bpftool.
  const log = e instanceof VerifierError && e.log.trim() !== '' ? e.log : undefined;
  if (out.json) {
    const doc = { error: message, ...(known ? { code: e.code } : {}), ...(log === undefined ? {} : { log }) };
    out.io.out(`${toJson(doc, out.pretty)}\n`);
  } else {
    if (log !== undefined)
      out.io.err(`-- BEGIN PROG LOAD LOG --\n${log.replace(/\n?$/, '\n')}-- END PROG LOAD LOG --\n`);
    out.io.err(`Error: ${message}\n`);
  }
  if (!known && out.debug && e instanceof Error && e.stack !== undefined) out.io.err(`${e.stack}\n`);
  return EXIT_ERROR;
}
