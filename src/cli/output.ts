// Printing for the CLI: plain text for people, JSON (one document per command) for --json,
// and errors in both forms (bpftool prints {"error": "..."} under --json).

import { TsbpfError } from '../index.js';

export interface Output {
  readonly json: boolean;
  text(line: string): void;
  data(value: unknown): void;
}

/** JSON.stringify that writes bigints as decimal strings (they would throw otherwise). */
export function toJson(value: unknown, pretty = false): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), pretty ? 2 : undefined);
}

export function makeOutput(
  json: boolean,
  write: (s: string) => void = (s) => process.stdout.write(s),
): Output {
  return {
    json,
    text: (line) => {
      if (!json) write(`${line}\n`);
    },
    data: (value) => {
      if (json) write(`${toJson(value)}\n`);
    },
  };
}

/** Formats an error for the user; returns the process exit code. */
export function reportError(e: unknown, json: boolean): number {
  if (e instanceof TsbpfError) {
    if (json) process.stdout.write(`${toJson({ error: e.message, code: e.code })}\n`);
    else process.stderr.write(`Error: ${e.message}\n`);
    return 1;
  }
  throw e;
}
