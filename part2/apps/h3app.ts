/**
 * An h3 v2 application (https://h3.dev), written as h3's docs write one,
 * served by our gateway server through the fetch adapter. The TypeScript
 * counterpart of the original's flaskapp.py.
 *
 * Run it:  npm run part2 -- h3app
 *          curl -v http://localhost:8888/hello
 */
import { H3 } from 'h3';
import { fromFetch } from './fetch.ts';

// #region handler
// h3 turns what a handler returns into a Response: a string becomes text/plain.
const h3 = new H3().get('/hello', () => 'Hello world from h3!\n');
// #endregion

// #region app
/** h3's fetch handler as a gateway application. Any other path gets h3's own 404 (JSON). */
export const app = fromFetch((request) => h3.fetch(request));
// #endregion
