// The node:test reporter of `npm test` (scripts/run-tests.mjs): one line per test file, each
// failure in full under its file (with what the file printed), the skipped tests with their reasons,
// and the totals last: node's own (`# tests N`, `# pass N`, ... as in its TAP), then
// `N passed, N failed, N skipped` alone on the last line, which CI reads. `npm test -- --tap`
// gives node's raw TAP instead.
//
// node:test reports the files of a run one after another (a file's tests together, in order), so a
// file is done when the next one's first event arrives, or at the end.
import { inspect } from 'node:util';
import { sep } from 'node:path';

/** What a failed file printed is shown up to this many lines (its last ones). */
const OUTPUT_LINES = 200;

/** `.../dist/test/unit/x.test.js` -> `test/unit/x.test.ts`: the name `npm test -- FILE` accepts. */
function shown(file) {
  const at = file.lastIndexOf(`${sep}dist${sep}test${sep}`);
  const rel = at === -1 ? file : file.slice(at + `${sep}dist${sep}`.length);
  return rel.split(sep).join('/').replace(/\.js$/, '.ts');
}

/** `, 12 ms`, `, 3.4 s`; nothing when node did not say. */
function took(ms) {
  if (ms === undefined) return '';
  return ms < 1000 ? `, ${Math.round(ms)} ms` : `, ${(ms / 1000).toFixed(1)} s`;
}

function indent(text, by) {
  return text.replace(/\n$/, '').replace(/^/gm, by);
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The error of a failed test as the spec reporter shows it: the assertion with actual/expected and stack. */
function describe(error) {
  if (error === undefined || error === null) return 'failed';
  const cause = error.cause ?? error;
  return typeof cause === 'string' ? cause : inspect(cause, { depth: 6, colors: false });
}

function newFile(path) {
  return { path, pass: 0, fail: 0, skip: 0, failures: [], skips: [], output: [], durationMs: undefined, printed: false };
}

export default async function* readableReporter(source) {
  const files = new Map();
  let current;
  const names = [];
  const totals = new Map();
  const failed = [];

  const fileOf = (path) => {
    let f = files.get(path);
    if (f === undefined) files.set(path, (f = newFile(path)));
    return f;
  };

  function* finish(f) {
    if (f === undefined || f.printed) return;
    f.printed = true;
    const counts = [f.fail > 0 ? `${f.fail} failed` : '', `${f.pass} passed`, f.skip > 0 ? `${f.skip} skipped` : ''].filter(Boolean).join(', ');
    yield `${f.fail > 0 ? 'FAIL' : 'ok  '}  ${shown(f.path)}  (${counts}${took(f.durationMs)})\n`;
    for (const s of f.skips) yield `      ${s}\n`;
    for (const x of f.failures) yield `\n  ✖ ${x.name} (failed${took(x.durationMs)})\n${indent(x.error, '      ')}\n\n`;
    if (f.fail > 0 && f.output.length > 0) yield `  what ${shown(f.path)} printed (last ${OUTPUT_LINES} lines at most):\n${indent(f.output.join(''), '    | ')}\n\n`;
  }

  for await (const { type, data } of source) {
    const path = data?.file;
    if ((type === 'test:start' || type === 'test:pass' || type === 'test:fail') && path !== undefined && path !== current) {
      yield* finish(files.get(current));
      current = path;
      names.length = 0;
    }
    switch (type) {
      case 'test:start':
        names.length = data.nesting;
        names[data.nesting] = data.name;
        break;
      case 'test:pass': {
        if (path === undefined || data.details?.type === 'suite') break;
        const f = fileOf(path);
        if (data.skip !== undefined || data.todo !== undefined) {
          f.skip++;
          const why = data.skip ?? data.todo;
          f.skips.push(`${data.skip !== undefined ? 'skipped' : 'todo'}: ${data.name}${typeof why === 'string' && why !== '' ? ` (${why})` : ''}`);
        } else f.pass++;
        break;
      }
      case 'test:fail': {
        if (path === undefined || data.details?.type === 'suite') break;
        const f = fileOf(path);
        f.fail++;
        // A parent that failed only because a subtest did: the subtest is the report.
        if (data.details?.error?.failureType === 'subtestsFailed') break;
        const name = data.name === path ? 'the file itself, outside any test' : [...names.slice(0, data.nesting), data.name].join(' › ');
        f.failures.push({ name, durationMs: data.details?.duration_ms, error: describe(data.details?.error) });
        failed.push(`${shown(path)}: ${name}`);
        break;
      }
      case 'test:stdout':
      case 'test:stderr': {
        if (path === undefined) break;
        const out = fileOf(path).output;
        out.push(data.message);
        if (out.length > OUTPUT_LINES) out.splice(0, out.length - OUTPUT_LINES);
        break;
      }
      case 'test:complete':
        if (path !== undefined && data.nesting === 0 && data.name === path) fileOf(path).durationMs = data.details?.duration_ms;
        break;
      case 'test:diagnostic': {
        // The run's totals (tests, suites, pass, fail, cancelled, skipped, todo, duration_ms).
        const m = path === undefined && data.nesting === 0 ? /^(\w+) ([\d.]+)$/.exec(data.message) : null;
        if (m) totals.set(m[1], Number(m[2]));
        break;
      }
    }
  }
  yield* finish(files.get(current));
  for (const f of files.values()) yield* finish(f);

  const mine = [...files.values()].reduce((a, f) => ({ pass: a.pass + f.pass, fail: a.fail + f.fail, skip: a.skip + f.skip }), { pass: 0, fail: 0, skip: 0 });
  if (failed.length > 0) yield `\n${plural(failed.length, 'failed test')}:\n${failed.map((x) => `  ${x}\n`).join('')}`;
  yield '\n';
  for (const [key, value] of totals) yield `# ${key} ${value}\n`;
  const n = (key) => totals.get(key) ?? 0;
  const passed = totals.has('pass') ? n('pass') : mine.pass;
  const failedCount = totals.has('fail') ? n('fail') + n('cancelled') : mine.fail;
  const skipped = totals.has('skipped') ? n('skipped') + n('todo') : mine.skip;
  yield `${passed} passed, ${failedCount} failed, ${skipped} skipped\n`;
}
