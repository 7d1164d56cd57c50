/**
 * npm run class against a class of servers on 127.0.0.1: the course's own
 * (Part 1, Part 2's hello), one that gets HTTP wrong (bare LF, a wrong
 * Content-Length), a closed port, one that accepts and never answers, one that
 * answers garbage, one that trickles its answer; the matrix, the report and
 * the exit status.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it as vitestIt } from 'vitest';
import { listen } from '../part1/webserver1.ts';
import { app as hello } from '../part2/apps/hello.ts';
import { compareKind, type CheckKind } from './class/checks.ts';
import { probeKind } from './class/probe-kind.ts';
import { formatMatrix } from './class/matrix.ts';
import { startOddServer } from './class/odd-servers.ts';
import { renderPage, renderResults } from './class/report.ts';
import type { Student } from './class/roster.ts';
import { runRound, type Row } from './class/run.ts';
import { startGateway } from './lib/servers.ts';
import { runNode } from './lib/running-steps.ts';
import { MIN_BUDGET_MS } from './testing/budget.ts';
import { exercisedIt } from './testing/exercised.ts';

// These tests run the course's own servers: a failure a started exercise explains (it changed
// that server) is skipped, naming it (scripts/testing/exercised.ts); on a clean tree every
// failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

const CLASS = fileURLToPath(new URL('./class.ts', import.meta.url));
/** The time limit of a check against the servers that never end an answer (silent, trickle). */
const TIMEOUT_MS = 1500;
/**
 * The time limit of a check against every other server: a generous bound (scripts/testing/
 * budget.ts) that one that answers never reaches, however busy the machine, and one that hangs
 * still fails. At 1500 ms, Part 2's hello in this process once reached it (Node 24, a CPU hog on
 * each core, a load of 30).
 */
const ANSWERING_MS = MIN_BUDGET_MS;
const NEVER_ENDS = new Set(['silent', 'trickle']);
const ports: Record<string, number> = {};
const closers: Array<() => Promise<void>> = [];
let dir = '';

/** A port nothing listens on: one the system just gave us, closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Answers a status line at once, then one byte every 50 ms, for ever: only a total deadline ends it. */
async function trickler(): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {}); // the checker cuts it at its deadline
    socket.write('HTTP/1.1 200 OK\r\n');
    const timer = setInterval(() => socket.write('X'), 50);
    socket.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => (sockets.forEach((s) => s.destroy()), server.close(() => resolve()))));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'class-test-'));
  const part1 = await listen(0, '127.0.0.1', () => {});
  closers.push(() => new Promise((resolve) => part1.close(() => resolve())));
  ports.part1 = (part1.address() as AddressInfo).port;
  const part2 = await startGateway(hello);
  closers.push(() => part2.close());
  ports.part2 = part2.target.port;
  for (const kind of ['wrong', 'silent', 'garbage']) {
    const odd = await startOddServer(kind);
    closers.push(odd.close);
    ports[kind] = odd.port;
  }
  ports.closed = await closedPort();
  ports.trickle = await trickler();
});
afterAll(async () => {
  for (const close of closers) await close();
  rmSync(dir, { recursive: true, force: true });
});

const student = (name: string, port: number, part = '1', line = 1): Student => ({ name, target: { host: '127.0.0.1', port }, part, line });
const verdicts = (row: Row) => row.kinds.flatMap((kind) => kind.cells.map((cell) => cell.verdict));
const kinds = new Map<string, CheckKind>();
const kindsFor = (s: Student) => {
  const timeoutMs = NEVER_ENDS.has(s.name) ? TIMEOUT_MS : ANSWERING_MS;
  const key = `${s.part!} ${timeoutMs}`;
  if (!kinds.has(key)) kinds.set(key, compareKind({ part: s.part!, mask: ['date', 'server'], timeoutMs }));
  return [kinds.get(key)!];
};

describe('a round over a class', () => {
  it('gives each server its own verdicts, and the slow ones hold up no one', { timeout: 60_000 }, async () => {
    const students = [
      student('silent', ports.silent!),
      student('trickle', ports.trickle!),
      student('ada', ports.part1!),
      student('grace', ports.part2!, '2'),
      student('wrong', ports.wrong!),
      student('closed', ports.closed!),
      student('garbage', ports.garbage!),
    ];
    const finished: string[] = [];
    const rows = await runRound(students, kindsFor, { jobs: 8, onRow: (row) => finished.push(row.student.name) });
    const seven = (verdict: string) => Array(7).fill(verdict);
    expect(Object.fromEntries(rows.map((row) => [row.student.name, verdicts(row)]))).toEqual({
      silent: seven('timeout'),
      trickle: seven('differs'),
      ada: seven('pass'),
      grace: seven('pass'), // Part 2's seven transcripts of app hello
      wrong: seven('differs'),
      closed: seven('refused'),
      garbage: seven('garbage'),
    });
    // The silent and the trickling servers went first and finished last.
    expect(finished.slice(-2).sort()).toEqual(['silent', 'trickle']);
    for (const cell of rows[1]!.kinds[0]!.cells) expect(cell.details).toContain(`no end ${TIMEOUT_MS} ms after the request was sent (the time limit of a check)`);
    const wrong = rows[4]!.kinds[0]!.cells.find((cell) => cell.check === 'curl')!;
    expect(wrong.details).toContain('- Content-Length: 14\\r\\n');
    expect(wrong.details).toContain('+ Content-Length: 15\\n');
  });

  it('checks no more servers at once than --jobs', async () => {
    let running = 0;
    let most = 0;
    const counting: CheckKind = {
      name: 'counting',
      checks: ['one'],
      limitMs: 1000,
      async run() {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        return [{ check: 'one', verdict: 'pass', details: [] }];
      },
    };
    const students = Array.from({ length: 7 }, (_, i) => student(`s${i}`, 1));
    const rows = await runRound(students, () => [counting], { jobs: 3 });
    expect(rows.map((row) => row.student.name)).toEqual(students.map((s) => s.name));
    expect(most).toBe(3);
  });

  it('gives up on a kind of check that overruns its deadline: its cells time out', async () => {
    const hanging: CheckKind = { name: 'hanging', checks: ['a', 'b'], limitMs: 10, run: () => new Promise(() => {}) };
    const [row] = await runRound([student('h', 1)], () => [hanging], { jobs: 1 });
    expect(verdicts(row!)).toEqual(['timeout', 'timeout']);
  });
});

describe('the report', () => {
  it('escapes what comes from the roster and from the wire', () => {
    const name = '<script>alert("x")</script>';
    const row: Row = {
      student: student(name, 1),
      kinds: [{ kind: 'part 1', checks: ['curl'], cells: [{ check: 'curl', verdict: 'garbage', details: ['+ <img src=x onerror=alert(1)>\\r\\n'] }] }],
    };
    const page = renderPage(renderResults([row], { round: 1, running: false }), false);
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img');
    expect(page).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    expect(page).toContain('<span class="ins">+ &#60;img src=x onerror=alert(1)&#62;\\r\\n</span>');
    expect(page).not.toMatch(/\s(src|href)="(https?:)?\/\//); // self-contained: nothing fetched from elsewhere
  });

  it('prints the matrix without colour when stdout is not a terminal', () => {
    const row: Row = { student: student('ada', 1), kinds: [{ kind: 'part 1', checks: ['telnet', 'nc'], cells: [
      { check: 'telnet', verdict: 'pass', details: [] },
      { check: 'nc', verdict: 'differs', details: ['x'] },
    ] }] };
    expect(formatMatrix([row])).toEqual([
      'part 1: 2 checks, 1 student',
      'student  telnet   nc       progress',
      'ada      pass     differs  1/2 pass, next: nc',
      '',
    ]);
  });
});

describe('npm run class', () => {
  it('prints the matrix, writes the report and exits 0 whatever the servers say', { timeout: 60_000 }, async () => {
    const roster = join(dir, 'class.txt');
    writeFileSync(roster, [
      '# name  server  part',
      `Ada 127.0.0.1:${ports.part1}`,
      `"Hopper, <Grace>",127.0.0.1:${ports.part2},2`,
      `Margaret 127.0.0.1:${ports.wrong} 1`,
      `Dennis 127.0.0.1:${ports.closed}`,
      '',
    ].join('\n'));
    const report = join(dir, 'report.html');
    const { code, stdout, stderr } = await runNode(['--import', 'tsx', CLASS, roster, '--report', report, '--timeout', String(ANSWERING_MS / 1000)], { env: { NO_COLOR: '1' } });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const table = stdout.split('\n').map((line) => line.split(/ {2,}/));
    expect(table.slice(0, 5)).toEqual([
      ['part 1: 7 checks, 3 students'],
      ['student', 'telnet', 'telnet-chars', 'nc', 'curl', 'browser', 'nonsense', 'half-close', 'progress'],
      ['Ada', ...Array(7).fill('pass'), '7/7 pass'],
      ['Margaret', ...Array(7).fill('differs'), '0/7 pass, next: telnet'],
      ['Dennis', ...Array(7).fill('refused'), '0/7 pass, next: telnet'],
    ]);
    expect(table[6]).toEqual(['part 2, app hello: 7 checks, 1 student']);
    expect(table[8]).toEqual(['Hopper, <Grace>', ...Array(7).fill('pass'), '7/7 pass']);
    expect(stdout).toContain('2 of 4 students pass every check (cells: 14 pass, 7 differs, 7 refused)');
    expect(stdout).toContain(`Report: ${report}`);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('data-student="Hopper, &#60;Grace&#62;"');
    expect(html.match(/<tr id="row-\d+" class="done"/g)).toHaveLength(2);
  });

  it('names the malformed line of a roster, and exits 2', async () => {
    const roster = join(dir, 'bad.txt');
    writeFileSync(roster, 'Ada 127.0.0.1:8888\nGrace 127.0.0.1\n');
    const { code, stdout, stderr } = await runNode(['--import', 'tsx', CLASS, roster]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`${roster}:2: no HOST:PORT on this line\n  Grace 127.0.0.1\n  expected: NAME HOST:PORT [PART], e.g. Ada 192.168.1.21:8888 1\n`);
  });
});

describe('--probe: the probe corpus as three cells a student', () => {
  const probe = probeKind(1000);
  const run = (port: number) => probe.run({ host: '127.0.0.1', port }, Date.now() + probe.limitMs);

  it('passes the course server on every MUST', { timeout: 120_000 }, async () => {
    const cells = await run(ports.part2!);
    expect(cells.map((cell) => cell.check)).toEqual(['probe MUST', 'probe SHOULD', 'probe MAY']);
    expect(cells[0], cells[0]!.details.join('\n')).toMatchObject({ verdict: 'pass', details: [] });
  });

  it('fails a server that gets HTTP wrong, naming the cases with their bytes', { timeout: 120_000 }, async () => {
    const [must] = await run(ports.wrong!);
    expect(must!.verdict).toBe('differs');
    expect(must!.details[0]).toMatch(/^\d+ of \d+ MUST cases pass$/);
    expect(must!.details.join('\n')).toMatch(/sent: .*\\r\\n/);
  });

  it('says refused for a closed port, at once', async () => {
    expect((await run(ports.closed!)).map((cell) => cell.verdict)).toEqual(['refused', 'refused', 'refused']);
  });

  it('gives a case no time past the deadline: the rest count as not run, never as a pass', async () => {
    const cells = await probe.run({ host: '127.0.0.1', port: ports.part2! }, Date.now() + 500);
    expect(cells.map((cell) => cell.verdict)).toEqual(['differs', 'differs', 'differs']);
    expect(cells[0]!.details.at(-1)).toMatch(/^not run, the time limit ran out: /);
  });
});
