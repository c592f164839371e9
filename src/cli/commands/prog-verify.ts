// `tsbpf prog verify OBJ`: runs tsbpf's verifier on the programs of an object (after CO-RE
// relocation against the object's own BTF, as load() does) and prints, per program, the kernel-
// form log at the level asked, and for a refusal the explanation (source line, path, hint).
// Exit status 255 when any program is refused.

import { load, loadCollectionSpec } from '../../index.js';
import { parse, UsageError, usageLine } from '../args.js';
import { EXIT_ERROR, EXIT_OK } from '../exit.js';
import { readBytes } from '../files.js';
import type { Output } from '../output.js';
import { verifySpecProgram } from '../rejection.js';
import { logLevelOption } from './prog-run.js';

export const progVerifyUsage = `       tsbpf prog verify OBJ [--prog NAME] [--log-level 1|2] [--unprivileged] [--json]
  Verifies the programs of OBJ as the kernel's verifier would (privileged unless --unprivileged)
  and prints the verdict, the statistics, and for a refusal the kernel-form log and an explanation.`;

export function progVerify(argv: string[], out: Output): number {
  const { values, positionals } = parse('prog verify', argv, {
    prog: { type: 'string' },
    'log-level': { type: 'string' },
    unprivileged: { type: 'boolean' },
  });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1) throw usageLine('prog verify', 'one OBJ');
  const level = logLevelOption(values['log-level'], out.debug);
  const spec = loadCollectionSpec(readBytes(file, 'OBJ'));
  // The VM's loader applies CO-RE relocations; its spec holds the programs as the kernel sees them.
  using coll = load(spec, { verify: false });
  const wanted = values.prog as string | undefined;
  const programs = coll.spec.programs.filter((p) => wanted === undefined || p.name === wanted);
  if (programs.length === 0)
    throw new UsageError(
      `--prog: ${file} has no program '${wanted}' (programs: ${coll.spec.programs.map((p) => p.name).join(', ')})`,
    );
  const results = programs.map((p) => {
    const r = verifySpecProgram(coll.spec, p, values.unprivileged !== true, level as 1 | 2);
    out.text(
      `${p.name} (${p.type}): ${r.verdict}, ${r.stats.processed} insns processed in ${r.stats.timeUs} us`,
    );
    if (r.verdict === 'rejected' || level === 2) out.text(r.log.replace(/\n$/, '').replace(/^/gm, '  '));
    if (r.explanationText !== undefined) out.text(r.explanationText.replace(/^/gm, '  '));
    return {
      program: p.name,
      type: p.type,
      verdict: r.verdict,
      stats: r.stats,
      log: r.log,
      ...(r.explanation === undefined ? {} : { explanation: r.explanation }),
    };
  });
  out.data(results);
  return results.every((r) => r.verdict === 'accepted') ? EXIT_OK : EXIT_ERROR;
}
