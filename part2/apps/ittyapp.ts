/**
 * An itty-router application (https://itty.dev/itty-router), written as its
 * docs write one, served by our gateway server through the fetch adapter.
 * The TypeScript counterpart of the original's djangoapp.py.
 *
 * Run it:  npm run part2 -- ittyapp
 *          curl -v http://localhost:8888/hello
 */
import { AutoRouter, text } from 'itty-router';
import { fromFetch } from './fetch.ts';

// #region handler
// AutoRouter formats what a handler returns as JSON unless told otherwise: text() makes it
// text/plain.
const router = AutoRouter();

router.get('/hello', () => text('Hello world from itty-router!\n'));
// #endregion

// #region app
/**
 * itty-router's fetch handler as a gateway application. Any other path gets AutoRouter's own 404
 * (JSON).
 */
export const app = fromFetch((request) => router.fetch(request));
// #endregion
