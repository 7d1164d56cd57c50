/**
 * Running the course's servers from tests and commands. A test's step is bundled by
 * scripts/lib/bundle.ts and started as its own process group, on 127.0.0.1 at a port the kernel
 * picks, with its output collected line by line. stop() kills the whole
 * group: the server and every child it has left. bannerPort reads the port any course server
 * says it serves on (npm start, npm run bench).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { buildApplication, buildProgram } from './bundle.ts';
import type { Target } from './wire.ts';

/** A running step. */
export interface RunningStep {
  /** The server's process (the parent, or 3i's primary). */
  process: ChildProcess;
  pid: number;
  target: Target;
  /** Lines written to stdout by the server and its children, so far. */
  stdout: string[];
  /** Lines written to stderr, so far. */
  stderr: string[];
  /** Resolves with the match of the first line (past or future) of `stream` that matches `pattern`. */
  line(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the matches of the first `count` lines that match `pattern`. */
  lines(pattern: RegExp, count: number, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpExecArray[]>;
  /** Kills the process group (the server and all its children) and waits until the server has exited. */
  stop(): Promise<void>;
}

/**
 * The port in the banner every course server prints on stdout ("Serving HTTP on port 8888 ...").
 * Resolves with it; rejects with `failure(exit code)` when the process exits first.
 */
export function bannerPort(child: ChildProcess, failure: (code: number | null) => Error): Promise<number> {
  const lines = createInterface({ input: child.stdout! });
  return new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      const match = /Serving HTTP on port (\d+)/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(failure(code)));
  });
}

const builds = new Map<string, Promise<string>>();

/** Bundles a program once per test process. */
function built(name: string, build: (name: string) => Promise<string>): Promise<string> {
  if (!builds.has(name)) builds.set(name, build(name));
  return builds.get(name)!;
}

/**
 * Starts step `name` ('3a' ... '3i') with `args` after `--port 0 --host
 * 127.0.0.1`, and resolves once it has said which port it serves on. For 3h
 * and 3i, `app` is the application spec (`hello`, `honoapp`,
 * `part3/fixtures/waitapp.ts:app`), bundled too. `env` is added to the
 * environment; LSBAWS_FIXED_DATE is always set, for byte-exact Date headers.
 */
export async function startStep(name: string, args: string[] = [], options: { app?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunningStep> {
  const script = await built(name, buildProgram);
  const app = options.app ? [await built(`app:${options.app}`, () => buildApplication(options.app!))] : [];
  const child = spawn(process.execPath, [script, ...app, '--port', '0', '--host', '127.0.0.1', ...args], {
    detached: true, // its own process group, so that stop() can kill every child it has left too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LSBAWS_FIXED_DATE: '2019-07-15T05:54:48Z', ...options.env },
  });
  const output = { stdout: [] as string[], stderr: [] as string[] };
  const waiters = new Set<() => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[stream]! }).on('line', (line) => {
      output[stream].push(line);
      for (const wake of waiters) wake();
    });
  }
  let exited = false;
  child.once('exit', () => {
    exited = true;
    for (const wake of waiters) wake();
  });

  function lines(pattern: RegExp, count: number, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 10_000): Promise<RegExpExecArray[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${count} ${stream} line(s) matching ${pattern}; ${stream} so far:\n${output[stream].join('\n')}`));
      }, timeoutMs);
      function check(): void {
        const matches = output[stream].map((line) => pattern.exec(line)).filter((match): match is RegExpExecArray => match !== null);
        if (matches.length >= count) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(matches.slice(0, count));
        }
      }
      waiters.add(check);
      check();
    });
  }

  const running: RunningStep = {
    process: child,
    pid: child.pid!,
    target: { host: '127.0.0.1', port: 0 },
    ...output,
    lines,
    line: async (pattern, stream, timeoutMs) => (await lines(pattern, 1, stream, timeoutMs))[0]!,
    async stop() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already, or there are none (Windows): the step itself, at least
      }
      if (!exited && child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
  try {
    // A Node start takes 0.1 s on a quiet machine and a second or two on a busy one: a minute
    // only bounds a step that never starts.
    const banner = await running.line(/Serving HTTP on port (\d+)/, 'stdout', 60_000);
    running.target.port = Number(banner[1]);
  } catch (error) {
    await running.stop();
    throw new Error(`${name} did not start: ${(error as Error).message}\nstderr:\n${output.stderr.join('\n')}`);
  }
  return running;
}

/** A client connection that notes when things happen: for tests about who is answered when. */
export interface TimedClient {
  socket: Socket;
  /** Every byte received so far. */
  received(): Buffer;
  /** performance.now() when the first byte arrived. */
  firstByte: Promise<number>;
  /** performance.now() when the server closed (FIN), reset, or the socket otherwise closed. */
  closed: Promise<number>;
  /** How it ended: 'end' for a FIN from the server, else the error code. */
  ending(): string | undefined;
}

/** Connects to `target` and writes `request` (if any) once connected. */
export function openClient(target: Target, request?: Buffer): TimedClient {
  const socket = connect({ ...target, noDelay: true, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  let ending: string | undefined;
  let gotFirst: (at: number) => void;
  let gotClosed: (at: number) => void;
  const firstByte = new Promise<number>((resolve) => (gotFirst = resolve));
  const closed = new Promise<number>((resolve) => (gotClosed = resolve));
  socket.on('connect', () => request && socket.write(request));
  socket.on('data', (chunk: Buffer) => {
    if (chunks.length === 0) gotFirst(performance.now());
    chunks.push(chunk);
  });
  socket.on('end', () => {
    ending ??= 'end';
    gotClosed(performance.now());
    socket.destroy();
  });
  // A reset or a refused connection is an outcome the tests look at, through ending().
  socket.on('error', (error: NodeJS.ErrnoException) => (ending ??= error.code ?? error.message));
  socket.on('close', () => gotClosed(performance.now()));
  return { socket, received: () => Buffer.concat(chunks), firstByte, closed, ending: () => ending };
}

/** The numbers of client3's report, by label: { connected: 60, ended: 60, ... }. */
export function reportNumbers(output: string): Record<string, number> {
  return Object.fromEntries([...output.matchAll(/^([a-z ]+):\s+(\d+(?:\.\d+)?)/gm)].map(([, label, value]) => [label!.trim(), Number(value)]));
}

/** Runs part3/client3.ts (bundled) with `args` and resolves with its output once it has exited. */
export async function runClient3(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runNode([await built('client', buildProgram), ...args]);
}

/**
 * Runs this Node with `args` (a script and its arguments; `--import tsx` first for a .ts one) and
 * resolves with its exit code and what it printed, once it has exited. `input` goes to its stdin
 * (else it has none); `closeStdout` plays a reader that has already gone (`| true`).
 */
export async function runNode(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; closeStdout?: boolean } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const stdin = options.input === undefined ? 'ignore' : 'pipe';
  const child = spawn(process.execPath, args, { stdio: [stdin, 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let stdout = '';
  let stderr = '';
  if (options.closeStdout) child.stdout!.destroy();
  else child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  if (options.input !== undefined) child.stdin!.end(options.input);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
