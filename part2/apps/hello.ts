/**
 * The barebones application of the original (lsbaws part 2): it needs no
 * framework, only the interface. Run it: npm run part2 -- hello
 */
import type { Application } from '../gateway.ts';

// #region app
export const app: Application = (environ, startResponse) => {
  const status = '200 OK';
  const headers: Array<[string, string]> = [['Content-Type', 'text/plain']];
  startResponse(status, headers);
  return [Buffer.from('Hello world from a simple gateway application!\n')];
};
// #endregion

/**
 * The same response with its Content-Length: on a persistent connection (webserver2b.ts) the
 * client then knows where the body ends without chunks. `npm run part2b -- hello:sized`; the
 * keep-alive bench uses it, as node:http's baseline sends the same bytes.
 */
export const sized: Application = (environ, startResponse) => {
  const body = Buffer.from('Hello world from a simple gateway application!\n');
  startResponse('200 OK', [
    ['Content-Type', 'text/plain'],
    ['Content-Length', String(body.length)],
  ]);
  return [body];
};
