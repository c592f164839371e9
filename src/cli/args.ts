// Command-line argument parsing for tsbpf: a thin layer over node:util parseArgs that turns
// its TypeErrors into usage errors with the command's name, and the option checks shared by the
// commands (integers, u32 counts), each naming the option and what it expected.

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { TsbpfError } from '../index.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** A mistake in the command line or in an input file: one line, exit status 255. */
export class UsageError extends TsbpfError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

export function parse(command: string, argv: string[], options: Options): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    // parseArgs explains over several lines how to pass a value starting with '-': keep one.
    const message = (e as Error).message;
    const first = message.split(/\n|(?<=\.) /)[0]!;
    const dash = /argument is ambiguous/.test(message)
      ? " (a value starting with '-' is written --option=VALUE)"
      : '';
    throw new UsageError(`${command}: ${first}${dash} (see 'tsbpf ${command.split(' ')[0]} help')`);
  }
}

/** The one line a command prints for a missing or extra argument. */
export function usageLine(command: string, expected: string): UsageError {
  return new UsageError(`${command}: expected ${expected} (see 'tsbpf ${command.split(' ')[0]} help')`);
}

/** Parses a non-negative integer option (decimal or 0x hex). */
export function intOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = /^\s*$/.test(value) ? Number.NaN : Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--${name}: expected a non-negative integer, got '${value}'`);
  return n;
}

/** Parses a u32 option (decimal or 0x hex): what the kernel's u32 attribute fields hold. */
export function u32Option(name: string, value: string | undefined, fallback: number): number {
  const n = intOption(name, value, fallback);
  if (n > 0xffffffff) throw new UsageError(`--${name}: expected a u32 (at most 4294967295), got '${value}'`);
  return n;
}
