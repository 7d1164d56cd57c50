import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it as vitestIt } from 'vitest';
import {
  reportNumbers as numbers,
  runClient3,
  startStep,
  type RunningStep,
} from '../scripts/lib/running-steps.ts';
import { formatReport, parseOptions, type Report } from './client3.ts';
import { exercisedIt } from '../scripts/testing/exercised.ts';
import { sixtyConnections } from './fixtures/client3-sixty.ts';

// A failure a started exercise explains (it changed the course code this test runs) is skipped,
// naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

let server: RunningStep | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('client3: the load client', () => {
  it('takes the original options, with its defaults: 1 client process, 1024 connections', () => {
    expect(parseOptions([])).toEqual({
      host: 'localhost',
      port: 8888,
      maxClients: 1,
      maxConns: 1024,
      timeout: 60,
      child: false,
    });
    expect(
      parseOptions(['--max-clients', '4', '--max-conns', '128', '--timeout', '5']),
    ).toMatchObject({ maxClients: 4, maxConns: 128, timeout: 5 });
    expect(() => parseOptions(['--max-conns', '0'])).toThrow(
      "--max-conns must be a whole number, 1 or more, not '0'",
    );
  });

  it('reports what happened, one line each', () => {
    const report: Report = {
      made: 3,
      failed: 1,
      responses: 2,
      ended: 2,
      empty: 1,
      open: 0,
      errors: { ECONNREFUSED: 1 },
      elapsed: 1.5,
      times: [0.5, 1, 1.5],
    };
    expect(
      formatReport(report, {
        host: 'localhost',
        port: 8888,
        maxClients: 1,
        maxConns: 4,
        timeout: 60,
      }).split('\n'),
    ).toEqual([
      '1 client process x 4 connections to localhost:8888, GET /hello',
      'connected:        3',
      'failed:           1  (no connection at all)',
      'responses:        2  (a status line came back)',
      'ended:            2  (the server closed the connection after its response)',
      'empty:            1  (the server closed or reset it without a response)',
      'open at timeout:  0  (still open after --timeout 60 s)',
      'errors:           ECONNREFUSED 1',
      'elapsed:          1.50 s  (median response 1.00 s, slowest 1.50 s)',
    ]);
  });

  // The same 60 against 3g, a Node child per connection, is client3.stress.test.ts's (npm run test:stress).
  it('2 client processes x 30 connections against 3a: every response comes back and ends', async () => {
    server = await startStep('3a');
    await sixtyConnections(server);
  });

  it('counts refused connections by their error code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve())); // nothing listens there now
    const { stdout } = await runClient3([
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--max-conns',
      '5',
    ]);
    expect(numbers(stdout)).toMatchObject({ connected: 0, failed: 5 });
    expect(stdout).toContain('errors:           ECONNREFUSED 5');
  });
});
