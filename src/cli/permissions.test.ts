// EPERM from bpf(2) names the capabilities the process lacks (issue 11, item 7): from a given
// CapEff, and live: the CLI run without CAP_NET_ADMIN and CAP_SYS_ADMIN (setpriv) loading an
// XDP program on the kernel backend.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BpfError, Errno } from '../index.js';
import { bpfAvailability } from '../kernel/index.js';
import { permissionHint } from './permissions.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const eperm = new BpfError('BPF_PROG_LOAD', Errno.EPERM);
const status = (capEff: bigint) => `Name:\tnode\nCapEff:\t${capEff.toString(16).padStart(16, '0')}\n`;
const bit = (n: number) => 1n << BigInt(n);

test('the hint names what CapEff lacks; CAP_SYS_ADMIN covers all; other errors get none', () => {
  assert.match(
    permissionHint(eperm, status(bit(39)))!,
    /^this process lacks CAP_NET_ADMIN \(for XDP.*\), CAP_PERFMON/,
  );
  assert.match(
    permissionHint(eperm, status(0n))!,
    /lacks CAP_BPF \(to load programs and create maps\), CAP_NET_ADMIN/,
  );
  assert.match(permissionHint(eperm, status(bit(21)))!, /^the kernel backend needs CAP_BPF/);
  assert.equal(permissionHint(new BpfError('BPF_PROG_LOAD', Errno.EINVAL), status(0n)), undefined);
  assert.equal(permissionHint(new Error('EPERM'), status(0n)), undefined);
});

function haveSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}
const avail = bpfAvailability();
const skip = !avail.ok
  ? avail.reason
  : haveSetpriv()
    ? false
    : 'needs setpriv(1) and root to drop capabilities';

test('prog run on the kernel backend without CAP_NET_ADMIN: EPERM with the hint', { skip }, () => {
  const r = spawnSync(
    'setpriv',
    [
      '--bounding-set=-net_admin,-sys_admin',
      '--inh-caps=-net_admin,-sys_admin',
      process.execPath,
      join(root, 'bin/tsbpf.js'),
      'prog',
      'run',
      'examples/xdp_parse.v3.o',
      '--packet',
      '00'.repeat(60),
      '--backend',
      'kernel',
    ],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(r.status, 255, r.stderr);
  assert.match(r.stderr, /^Error: BPF_PROG_LOAD failed: EPERM \(this process lacks CAP_NET_ADMIN/);
});
