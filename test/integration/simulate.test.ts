import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_MAIN } from '../helpers/server.js';

/** Checks that `xml` is one well-formed element tree (tags balanced and properly nested). */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const body = xml.replace(/<\?xml[^>]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (self) continue;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal((body.match(/</g) ?? []).length, (body.match(/<\/?[a-zA-Z][^<>]*>/g) ?? []).length, 'a stray <');
  assert.match(body.trim(), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>$/);
}

test('simulate writes an SVG chart that parses and whose numbers match its summary table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simulate-'));
  try {
    const out = join(dir, 'chart.svg');
    const res = spawnSync(process.execPath, [SERVER_MAIN, 'simulate', '--fast', '4', '--slow', '1', '--frozen', '1', '--limited', '1', '--rate', '10', '--duration', '2', '--sample', '250', '--drain-timeout', '1', '--out', out], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(res.status, 0, res.stderr);
    const svg = readFileSync(out, 'utf8');
    assertWellFormed(svg);

    // The stdout table: a header and one row per class.
    const lines = res.stdout.split('\n');
    const head = lines.findIndex((l) => l.startsWith('class '));
    const header = lines[head]!.trim().split(/\s{2,}/);
    const stdoutRows = lines.slice(head + 1, head + 5).map((l) => l.trim().split(/\s{2,}/));
    assert.deepEqual(stdoutRows.map((r) => r[0]), ['fast', 'slow', 'frozen', 'limited']);
    assert.match(res.stdout, /chart written to /);

    // The same table inside the chart, cell by cell.
    const cells = new Map<string, string>();
    for (const m of svg.matchAll(/<text [^>]*data-row="(\d+)" data-col="(\d+)">([^<]*)<\/text>/g)) cells.set(`${m[1]},${m[2]}`, m[3]!);
    const svgRow = (i: number) => header.map((_, j) => cells.get(`${i},${j}`));
    assert.deepEqual(svgRow(0), header);
    stdoutRows.forEach((row, i) => assert.deepEqual(svgRow(i + 1), row));

    // The plotted series add up to the table's totals.
    const col = (name: string) => header.indexOf(name);
    for (const row of stdoutRows) {
      for (const metric of ['delivered', 'dropped'] as const) {
        const m = new RegExp(`<g class="panel" data-metric="${metric}">[\\s\\S]*?<g data-class="${row[0]}" data-values="([^"]*)"`).exec(svg);
        assert.ok(m, `${metric} series of ${row[0]}`);
        const sum = m[1]!.split(',').reduce((a, v) => a + Number(v), 0);
        assert.equal(sum, Number(row[col(metric)]), `${row[0]} ${metric}`);
      }
    }
    const byClass = new Map(stdoutRows.map((r) => [r[0]!, r]));
    assert.ok(Number(byClass.get('fast')![col('delivered')]) > 0);
    assert.equal(byClass.get('fast')![col('dropped')], '0', 'fast readers lose nothing');
    assert.equal(byClass.get('frozen')![col('delivered')], '0');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('simulate: usage errors exit 2; --help exits 0', () => {
  const bad = spawnSync(process.execPath, [SERVER_MAIN, 'simulate', '--fast', 'many'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--fast must be a whole number/);
  const help = spawnSync(process.execPath, [SERVER_MAIN, 'simulate', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Usage: chat-server simulate/);
});
