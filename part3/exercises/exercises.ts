/**
 * Part 3's exercises and their checks: `npm run exercise -- 3.1` runs one.
 *
 * Part 3's servers start child processes, and a process costs tens of ms of
 * CPU: these checks call the tree's functions instead (the pool's options, a
 * limit's rule, the listening socket's backlog), and create the one process
 * they need (a zombie) with sh. The reference solutions are in solutions/;
 * the lesson does not show them.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CheckFailure,
  expect,
  type CheckContext,
  type Exercise,
  type Hint,
} from '../../scripts/exercises/exercise.ts';

const MiB = 1024 * 1024;

/** Calls `run` and returns the Error message it throws, or 'accepted' when it returns. */
function refusal(run: () => unknown): string {
  try {
    run();
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  }
}

/** A step that `args` are refused with a message naming `option` (not parseArgs' "Unknown option"). */
async function refuses(
  ctx: CheckContext,
  parse: () => Promise<(args: string[]) => unknown>,
  args: string[],
  option: string,
  hints: Hint[],
): Promise<void> {
  await ctx.step(
    `${args.join(' ')} is refused with a message naming ${option}`,
    async () => {
      const fn = await parse();
      const message = refusal(() => fn(args));
      const ok = message.includes(option) && !/unknown option/i.test(message);
      expect(ok, `parseOptions(${JSON.stringify(args)}): ${message}`);
    },
    hints,
  );
}

const zombies: Exercise = {
  id: '3.1',
  title: 'Find the zombies',
  summary:
    'write zombiesOf(pid) in part3/zombies.ts: the pids of its children that are zombies (Linux /proc)',
  kind: 'code',
  platforms: ['linux'],
  async check(ctx) {
    const hints = [
      "/proc/PID/task/PID/children lists a process's children, separated by spaces " +
        '(Linux 3.5 and later); /proc/CHILD/stat says its state, the field after the name in parentheses.',
      'A zombie has state Z. Read the state after the last ")" of stat: the name may contain spaces.',
      'Try it on 3d: npm run part3 -- 3d, curl it twice, then zombiesOf(parent pid).',
    ];
    const ok = await ctx.step(
      'part3/zombies.ts exports zombiesOf(pid)',
      async () => {
        await ctx.need('part3/zombies.ts', 'zombiesOf', '(pid: number): number[]');
      },
      hints,
    );
    if (!ok) return;
    const zombiesOf = (await ctx.load('part3/zombies.ts')).zombiesOf as (pid: number) => number[];
    // sh starts `true` in the background, then becomes `sleep` (exec): sleep never waits
    // for children, so `true` stays a zombie of it until sleep exits. It must outlive both
    // steps (killed below): at 5 s, on a busy machine, it exited first and was a zombie itself.
    const parent = spawn('sh', ['-c', 'true & exec sleep 120'], { stdio: 'ignore' });
    try {
      await once(parent, 'spawn');
      await ctx.step(
        'a child that exited unreaped is found',
        async () => {
          const found = await eventually(
            () => zombiesOf(parent.pid!),
            (pids) => pids.length === 1,
          );
          expect(
            found.length === 1,
            `zombiesOf(${parent.pid}) is ${JSON.stringify(found)}, expected one zombie`,
          );
          const state = execFileSync('ps', ['-o', 'stat=', '-p', String(found[0])])
            .toString()
            .trim();
          expect(state.startsWith('Z'), `pid ${found[0]} is in state ${state}, not a zombie`);
        },
        hints.slice(0, 2),
      );
      await ctx.step(
        'a live child is not a zombie',
        () => {
          const found = zombiesOf(process.pid);
          expect(
            !found.includes(parent.pid!),
            `zombiesOf(this process) lists the running child ${parent.pid}`,
          );
        },
        hints.slice(1, 2),
      );
    } finally {
      parent.kill();
    }
  },
};

/**
 * Calls `probe` until `done` says yes, at most 2 s: a zombie appears when the kernel has
 * run the child to its end, which no event here reports. Returns the last answer.
 */
async function eventually<T>(probe: () => T, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 2000;
  let value = probe();
  while (!done(value) && Date.now() < deadline) {
    await sleep(20);
    value = probe();
  }
  return value;
}

type NextLimit = (limit: number, waiting: number, freeBytes: number) => number;

const adaptiveLimit: Exercise = {
  id: '3.2',
  title: 'A limit on children that adapts',
  summary:
    'export nextLimit(limit, waiting, freeBytes) from 3g: double while clients wait and memory is free, halve when it is short',
  kind: 'code',
  async check(ctx) {
    const rule =
      'The rule, in order: less than 256 MiB free: halve the limit, but not below 8; else clients ' +
      'waiting and at least 1 GiB free: double it, but not above 256; else keep it.';
    const exported = await ctx.step(
      'part3/webserver3g.ts exports nextLimit',
      async () => {
        await ctx.need<NextLimit>(
          'part3/webserver3g.ts',
          'nextLimit',
          '(limit: number, waiting: number, freeBytes: number): number',
        );
      },
      [
        rule,
        'Then call it: in 3g, grimReaper and the connection handler can set maxChildren = nextLimit(maxChildren, waiting.length, freemem()).',
      ],
    );
    if (!exported) return;
    const table: Array<
      [limit: number, waiting: number, free: number, expected: number, why: string]
    > = [
      [32, 10, 2048 * MiB, 64, 'clients wait, 2 GiB free: double'],
      [200, 10, 2048 * MiB, 256, 'double, but not above 256'],
      [32, 0, 2048 * MiB, 32, 'nobody waits: keep'],
      [32, 10, 512 * MiB, 32, 'clients wait, 512 MiB free: keep'],
      [32, 10, 100 * MiB, 16, '100 MiB free: halve'],
      [10, 0, 100 * MiB, 8, 'halve, but not below 8'],
    ];
    for (const [limit, waiting, free, expected, why] of table) {
      await ctx.step(
        `nextLimit(${limit}, ${waiting}, ${free / MiB} MiB) is ${expected} (${why})`,
        async () => {
          const nextLimit = await ctx.need<NextLimit>(
            'part3/webserver3g.ts',
            'nextLimit',
            '(limit, waiting, freeBytes)',
          );
          const got = nextLimit(limit, waiting, free);
          expect(got === expected, `nextLimit(${limit}, ${waiting}, ${free}) is ${got}`);
        },
        [rule],
      );
    }
  },
};

type ParsePool = (args: string[]) => {
  workers: number;
  maxRequests?: number;
  maxRequestsJitter?: number;
};
const parsePool = (ctx: CheckContext) => () =>
  ctx.need<ParsePool>('part3/webserver3i.ts', 'parseOptions', '(args)');

const poolSize: Exercise = {
  id: '3.3',
  title: "The pool's size",
  summary: '3i: --workers auto is one per core; more than 4 per core is refused',
  kind: 'code',
  async check(ctx) {
    const hints = [
      'os.availableParallelism() is the number of cores Node may use (3i already defaults to it).',
      'More workers than cores only queue for the CPU and cost memory (04-pool.md): refuse more than ' +
        '4 × availableParallelism() with a message that names --workers.',
    ];
    const cores = availableParallelism();
    for (const [value, expected] of [
      ['auto', cores],
      ['2', 2],
      [String(4 * cores), 4 * cores],
    ] as const) {
      await ctx.step(
        `--workers ${value} gives ${expected} workers`,
        async () => {
          const got = (await parsePool(ctx)())(['hello', '--workers', value]).workers;
          expect(
            got === expected,
            `parseOptions(['hello', '--workers', '${value}']).workers is ${got}`,
          );
        },
        hints,
      );
    }
    await refuses(
      ctx,
      parsePool(ctx),
      ['hello', '--workers', String(4 * cores + 1)],
      '--workers',
      hints.slice(1),
    );
    await refuses(ctx, parsePool(ctx), ['hello', '--workers', '0'], '--workers', hints.slice(1));
  },
};

type RequestsBeforeRestart = (maxRequests: number, jitter: number, random?: () => number) => number;

const recycle: Exercise = {
  id: '3.4',
  title: 'Recycle workers',
  summary:
    "3i: --max-requests N and --max-requests-jitter J, as gunicorn's; requestsBeforeRestart(N, J, random)",
  kind: 'code',
  async check(ctx) {
    const formula =
      'requestsBeforeRestart(maxRequests, jitter, random = Math.random) is 0 (never restart) when ' +
      'maxRequests is 0, else maxRequests + Math.floor(random() * (jitter + 1)).';
    const options =
      'parseOptions returns maxRequests and maxRequestsJitter, 0 when absent; a worker counts its ' +
      "requests and, at its number, calls cluster.worker.disconnect(): the primary's 'exit' handler starts the replacement.";
    const exported = await ctx.step(
      'part3/webserver3i.ts exports requestsBeforeRestart',
      async () => {
        await ctx.need<RequestsBeforeRestart>(
          'part3/webserver3i.ts',
          'requestsBeforeRestart',
          '(maxRequests: number, jitter: number, random = Math.random): number',
        );
      },
      [formula],
    );
    if (!exported) return;
    const cases: Array<[number, number, number, number]> = [
      [0, 10, 0.99, 0],
      [1000, 0, 0.5, 1000],
      [1000, 50, 0, 1000],
      [1000, 50, 0.999, 1050],
      [1000, 50, 0.5, 1025],
    ];
    for (const [max, jitter, random, expected] of cases) {
      await ctx.step(
        `requestsBeforeRestart(${max}, ${jitter}, () => ${random}) is ${expected}`,
        async () => {
          const fn = await ctx.need<RequestsBeforeRestart>(
            'part3/webserver3i.ts',
            'requestsBeforeRestart',
            '(maxRequests, jitter, random)',
          );
          const got = fn(max, jitter, () => random);
          expect(got === expected, `got ${got}`);
        },
        [formula],
      );
    }
    await ctx.step(
      '--max-requests 100 --max-requests-jitter 10 are read; both default to 0',
      async () => {
        const parse = await parsePool(ctx)();
        const got = parse(['hello', '--max-requests', '100', '--max-requests-jitter', '10']);
        const none = parse(['hello']);
        const ok =
          got.maxRequests === 100 &&
          got.maxRequestsJitter === 10 &&
          none.maxRequests === 0 &&
          none.maxRequestsJitter === 0;
        expect(ok, `read ${JSON.stringify(got)}; without them ${JSON.stringify(none)}`);
      },
      [options],
    );
    await refuses(ctx, parsePool(ctx), ['hello', '--max-requests', '-1'], '--max-requests', [
      options,
    ]);
  },
};

type Listen3a = (port: number, host: string, backlog?: number) => Promise<Server>;
type Parse3a = (args: string[]) => { backlog?: number };

const backlog: Exercise = {
  id: '3.5',
  title: 'Choose the backlog',
  summary: "3a: --backlog N sets the listening socket's queue (default REQUEST_QUEUE_SIZE, 5)",
  kind: 'code',
  async check(ctx) {
    const hints = [
      'parseOptions returns backlog (REQUEST_QUEUE_SIZE when absent; a whole number of 1 or more, ' +
        'else an Error naming --backlog: plumbing.count does that), and main passes it to ' +
        'plumbing.listenOrExit, whose listen(port, host, backlog) gives it to server.listen.',
      "See it: ss -ltn shows a listening socket's backlog in its Send-Q column.",
    ];
    const parse = () => ctx.need<Parse3a>('part3/webserver3a.ts', 'parseOptions', '(args)');
    await ctx.step(
      '--backlog 64 gives backlog 64; without it, 5',
      async () => {
        const [got, none] = [
          (await parse())(['--backlog', '64']).backlog,
          (await parse())([]).backlog,
        ];
        expect(got === 64 && none === 5, `backlog ${got} with --backlog 64, ${none} without`);
      },
      hints.slice(0, 1),
    );
    await refuses(ctx, parse, ['--backlog', '0'], '--backlog', hints.slice(0, 1));
    if (process.platform !== 'linux' || !hasSs()) return; // ss shows the backlog; elsewhere, no step
    await ctx.step(
      "listen(0, '127.0.0.1', 7): the kernel's queue holds 7 (ss -ltn, Send-Q)",
      async () => {
        const listen = await ctx.need<Listen3a>(
          'part3/plumbing.ts',
          'listen',
          '(port, host, backlog)',
        );
        const server = await listen(0, '127.0.0.1', 7);
        try {
          const port = (server.address() as AddressInfo).port;
          const line = execFileSync('ss', ['-ltnH', `sport = :${port}`])
            .toString()
            .trim();
          const sendQ = line.split(/\s+/)[2];
          if (sendQ === undefined)
            throw new CheckFailure(`ss shows no listening socket on port ${port}`);
          expect(sendQ === '7', `ss -ltn shows a backlog of ${sendQ}: ${line}`);
        } finally {
          server.close();
        }
      },
      hints,
    );
  },
};

function hasSs(): boolean {
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false; // no iproute2: the step that needs ss is left out
  }
}

/** Part 3's exercises, in the order the lesson lists them. */
export const exercises: Exercise[] = [zombies, adaptiveLimit, poolSize, recycle, backlog];
