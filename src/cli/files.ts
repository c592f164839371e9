// File access for the CLI: every read and write names the option or argument it serves, so a
// missing file or a folder that does not exist is one clear line, never a Node stack trace.

import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { UsageError } from './args.js';

/** "no such file or directory (ENOENT)" from a Node file error. */
function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const text = (err.message ?? String(e)).replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return err.code === undefined ? text : `${text} (${err.code})`;
}

/** The bytes of a file, or standard input for '-'; `what` names the argument (e.g. '--data-in'). */
export function readBytes(path: string, what = 'input'): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path === '-' ? 0 : path));
  } catch (e) {
    const name = path === '-' ? 'standard input' : `'${path}'`;
    throw new UsageError(`${what}: cannot read ${name}: ${reason(e)}`);
  }
}

export function readText(path: string, what: string): string {
  return Buffer.from(readBytes(path, what)).toString('utf8');
}

export function writeBytes(path: string, bytes: Uint8Array, what: string): void {
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new UsageError(`${what}: cannot write '${path}': ${reason(e)}`);
  }
}

/** Makes a directory (and its parents) for output; refuses a path that is a file. */
export function makeDirectory(path: string, what: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new UsageError(`${what}: cannot make directory '${path}': ${reason(e)}`);
  }
  if (!statSync(path).isDirectory()) throw new UsageError(`${what}: '${path}' is not a directory`);
}
