/**
 * The command line of Part 1's steps: options, the banner, one line when
 * listen() fails. The original hard-codes its port; a class shares machines,
 * so ours takes --port and --host. Part 2's servers use isProgram too.
 */
import type { Server } from 'node:net';
import { parseArgs } from 'node:util';
import { explainListenError } from './connection.ts';

/** The original's port. Above 1023, so no root is needed to bind it. */
export const DEFAULT_PORT = 8888;
/** Only this machine can connect; `--host 0.0.0.0` opens the server to the network. */
export const DEFAULT_HOST = 'localhost';

/** Where log lines go. The CLI prints them; tests collect them. */
export type Log = (text: string) => void;

/** A step's `listen`: resolves with the listening server, rejects with the system error. */
export type Listen = (port: number, host: string, log: Log) => Promise<Server>;

/** Reads `--port` and `--host`. Throws an Error with a one-line message on bad input. */
export function parseOptions(args: string[]): { port: number; host: string } {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, host: { type: 'string' } },
  });
  const port = Number(values.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  }
  return { port, host: values.host ?? DEFAULT_HOST };
}

// #region main
/**
 * Runs a step's server from the command line: reads the options, listens with
 * the step's `listen`, prints the banner and returns. Bad options exit with
 * code 2, a failed listen with 1, each with one line on stderr.
 */
export async function main(listen: Listen, args = process.argv.slice(2)): Promise<void> {
  let options;
  try {
    options = parseOptions(args);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const { port, host } = options;
  if (host === '0.0.0.0' || host === '::') {
    console.error(
      `Warning: listening on every network interface (${host}): anyone who can reach this ` +
        `machine can connect.`,
    );
  }
  let server: Server;
  try {
    server = await listen(port, host, (text) => console.log(text));
  } catch (error) {
    console.error(explainListenError(error as NodeJS.ErrnoException, port, host));
    process.exit(1);
  }
  const address = server.address();
  console.log(
    `Serving HTTP on port ${typeof address === 'object' && address ? address.port : port} ...`,
  );
}
// #endregion

/**
 * True when the file named `name` (`webserver1`, without its extension) is the
 * program Node runs, false when a test or another step imports it. It reads
 * the program's file name, not import.meta.url: in a bundle (Part 3 runs
 * bundles) every module shares the bundle's URL. Parts 1 and 2 use this one
 * guard; Part 2 imports it from here.
 */
export function isProgram(name: string): boolean {
  const file = (process.argv[1] ?? '').split(/[\\/]/).pop() ?? '';
  return file.replace(/\.[cm]?[jt]s$/, '') === name && file !== name;
}
