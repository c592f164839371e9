// Why a test that compares with an outside tool (tshark, llvm-objdump, clang) must skip: the tool
// is not installed. Asked by running it with --version, as a user's shell would find it (PATH).

import { execFileSync } from 'node:child_process';

/** undefined when every command runs; else "<command> is not installed (<install>)" for the first that does not. */
export function toolSkip(install: string, ...commands: string[]): string | undefined {
  for (const command of commands) {
    try {
      execFileSync(command, ['--version'], { stdio: 'ignore' });
    } catch {
      return `${command} is not installed (${install})`;
    }
  }
  return undefined;
}
