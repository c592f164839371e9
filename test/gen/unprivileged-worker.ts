// The unprivileged side of test/gen/unprivileged-kernel.ts: run as nobody, it reads a request
// (JSON on standard input), loads what it names into the kernel without capabilities, and
// writes the outcomes (JSON on standard output).

import { readFileSync } from 'node:fs';
import { BpfError, VerifierError } from '../../src/errors.js';
import { haveHelper, loadKernel } from '../../src/kernel/index.js';
import { HELPER_PROTOS } from '../../src/uapi/helper-protos.js';
import type { UnprivilegedReply, UnprivilegedRequest } from './unprivileged-kernel.js';
import { verifierCases } from './verifier-cases.js';
import { kernelOutcome } from './verifier-diff-run.js';
import { generateUnprivileged } from './verifier-unprivileged.js';

const request = JSON.parse(readFileSync(0, 'utf8')) as UnprivilegedRequest;
const reply: UnprivilegedReply = { cases: {}, helpers: {}, seeds: [] };

const wanted = new Set(request.cases ?? []);
for (const c of verifierCases().filter((x) => wanted.has(`${x.file} ${x.name}`))) {
  let log = '';
  try {
    const k = loadKernel(c.spec, { logLevel: 1 | 4 });
    log = k.program(c.spec.programs[0]!.name).log ?? '';
    k.close();
  } catch (e) {
    if (e instanceof VerifierError) log = e.log;
    else if (e instanceof BpfError)
      log = e.message; // EPERM before verifying: no log
    else throw e;
  }
  const outcome = kernelOutcome(c.spec);
  reply.cases[`${c.file} ${c.name}`] = { ...outcome, log: log.split('\n').slice(-8).join('\n') };
}

for (const type of request.helpers ?? []) {
  reply.helpers[type] = [...HELPER_PROTOS]
    .filter(([id, p]) => (p.progTypes === undefined || p.progTypes.includes(type)) && haveHelper(type, id).ok)
    .map(([id]) => id);
}

if (request.seeds !== undefined) {
  const { first, count } = request.seeds;
  for (let seed = first; seed < first + count; seed++)
    reply.seeds.push(kernelOutcome(generateUnprivileged(seed).spec));
}

process.stdout.write(JSON.stringify(reply));
