// The playground in a real browser: Debian's Chromium driven by playwright-core (the system
// browser by executablePath, headless, --no-sandbox as CI runs as root). Builds the playground,
// serves it, opens xdp_count_array on a UDP packet, sets a breakpoint on a C line, continues,
// steps, steps back, and checks the highlighted C line and the registers against a DebugSession
// run here in Node on the same object and packet; then opens the refused-on-purpose object and
// checks the verifier's verdict and its highlighted line. Saves artifacts/playground.png.
// Skips, saying why, where no browser starts. The page build itself is checked without a browser.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { test } from 'node:test';
import { DebugSession, loadCollectionSpec } from '../../src/index.js';

const root = new URL('../../../', import.meta.url);
const CHROMIUM = process.env.TSBPF_CHROMIUM ?? '/usr/bin/chromium';
const LINE = 56; // cnt = bpf_map_lookup_elem(&l3_stats, &kind);

interface Scripts {
  buildPlayground(out?: string): Promise<string>;
  serveStatic(dir: string, port?: number): Promise<{ url: string; server: Server }>;
}
const script = async (name: string) =>
  import(new URL(`scripts/${name}`, root).href) as Promise<Partial<Scripts>>;

let built: Promise<string> | undefined;
const build = () => {
  built ??= script('playground.mjs').then((m) => m.buildPlayground!());
  return built;
};

test('the playground builds: the page type-checks, bundles, and lists every example and packet', async () => {
  const out = await build();
  const catalog = JSON.parse(readFileSync(`${out}/catalog.json`, 'utf8')) as {
    examples: { name: string; object: string; sources: string[] }[];
    packets: { file: string }[];
  };
  assert.ok(catalog.examples.length > 30);
  assert.equal(catalog.examples[0]!.name, 'xdp_count_array');
  for (const e of catalog.examples)
    for (const f of [e.object, ...e.sources]) assert.ok(existsSync(`${out}/${f}`), f);
  for (const p of catalog.packets) assert.ok(existsSync(`${out}/packets/${p.file}`));
  const bundle = readFileSync(`${out}/main.js`, 'utf8');
  assert.ok(bundle.length > 100_000 && !/from\s*["']node:/.test(bundle), 'one bundle, no Node imports');
});

/** What the page must show: the same session run in Node. */
function expected() {
  const spec = loadCollectionSpec(readFileSync(new URL('examples/xdp_count_array.v3.o', root)));
  using s = DebugSession.start(spec, { packet: readFileSync(new URL('test/packets/ipv4_udp.bin', root)) });
  s.addBreakpoint({ kind: 'line', line: LINE });
  const at = (stop: { location: { line?: { line: number } } }) => ({
    line: stop.location.line?.line,
    regs: s.registers().map((r) => `0x${r.toString(16)}`),
  });
  const bp = at(s.continue());
  const stepped = at(s.stepLine());
  const back = at(s.stepLine('backward'));
  return { bp, stepped, back };
}

test('in Chromium: breakpoint on a C line, continue, step, step back; the verifier refusal at its line', async (t) => {
  if (!existsSync(CHROMIUM))
    return t.skip(`no browser at ${CHROMIUM} (apt-get install chromium; TSBPF_CHROMIUM names another)`);
  const { chromium } = await import('playwright-core');
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  } catch (e) {
    return t.skip(`Chromium did not start: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const { url, server } = await (await script('serve.mjs')).serveStatic!(await build());
  try {
    const want = expected();
    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    await page.selectOption('#preset', 'ipv4_udp.bin');
    await page.waitForFunction("document.getElementById('packet').value.length > 0");
    await page.click('#run');
    await page.click(`#source .src-line[data-line="${LINE}"] .gutter`);
    assert.equal(await page.locator('#source .src-line.bp').count(), 1);

    const shown = async () => ({
      line: Number(await page.locator('#source .src-line.current').getAttribute('data-line')),
      regs: await page.locator('#registers td.value').allTextContents(),
    });
    await page.click('#continue');
    assert.equal(await page.getAttribute('#status', 'data-reason'), 'breakpoint');
    assert.deepEqual(await shown(), want.bp);
    assert.equal(want.bp.line, LINE);
    await page.click('#step');
    assert.deepEqual(await shown(), want.stepped);
    assert.notEqual(want.stepped.line, LINE);
    await page.click('#step-back');
    assert.deepEqual(await shown(), want.back);
    assert.deepEqual(want.back, want.bp, 'stepping back returns to the breakpoint state');
    mkdirSync(new URL('artifacts/', root), { recursive: true });
    await page.screenshot({ path: new URL('artifacts/playground.png', root).pathname });

    // The refused object: the verdict, the explanation, its C line highlighted.
    await page.selectOption('#example', 'oob');
    await page.waitForSelector('#program option[value="pkt_past_end"]', { state: 'attached' });
    await page.click('#run');
    assert.equal(await page.getAttribute('#verdict', 'class'), 'refused');
    assert.match(
      (await page.textContent('#verdict')) ?? '',
      /pkt_past_end: REFUSED\n.*invalid access to packet/,
    );
    const refused = await page.locator('#source .src-line.refused').textContent();
    assert.match(refused ?? '', /FAULT/);

    // A file that is an ELF in name only: the status line says why, the page raises nothing.
    const bad = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]);
    await page.setInputFiles('#object-file', {
      name: 'bad.o',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(bad),
    });
    await page.waitForFunction("document.getElementById('status')?.textContent?.startsWith('bad.o: ')");

    // The packet builder: a 70-byte TCP frame with a VLAN tag; a bad address is named.
    await page.selectOption('#b-proto', 'tcp');
    await page.fill('#b-size', '70');
    await page.fill('#b-vlan', '7');
    await page.click('#b-make');
    const built = ((await page.inputValue('#packet')).match(/[0-9a-f]{2}/g) ?? []).map((b) =>
      Number.parseInt(b, 16),
    );
    assert.equal(built.length, 70);
    assert.deepEqual(built.slice(12, 18), [0x81, 0x00, 0x00, 0x07, 0x08, 0x00]); // 802.1Q, VLAN 7, IPv4
    assert.equal(built[18 + 9], 6); // TCP
    await page.fill('#b-src', '10.0.0.300');
    await page.click('#b-make');
    assert.match((await page.textContent('#status')) ?? '', /10\.0\.0\.300/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
