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
