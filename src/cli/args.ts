// Command-line argument parsing for tsbpf: a thin layer over node:util parseArgs that turns
// its TypeErrors into usage errors with the command's name.

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { TsbpfError } from '../index.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

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
    throw new UsageError(`${command}: ${(e as Error).message}`);
  }
}

/** Parses a non-negative integer option (decimal or 0x hex). */
export function intOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--${name} wants a non-negative integer, got '${value}'`);
  return n;
}
