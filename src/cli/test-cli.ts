// Test support (not shipped): runs the CLI in-process with captured output, as a script would see it.
import { main } from './main.js';
import type { Io } from './output.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function runCli(...argv: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    tty: false,
  };
  const code = await main(argv, io);
  return { code, out, err };
}
