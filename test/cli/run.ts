// Runs the CLI in-process with captured output, as a script would see it (no terminal).
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';

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
