/**
 * A Hono application (https://hono.dev), written as Hono's docs write one,
 * served by our gateway server through the fetch adapter: the framework is
 * unchanged, the server is unchanged, only the adapter sits between them.
 * The TypeScript counterpart of the original's pyramidapp.py.
 *
 * Run it:  npm run part2 -- honoapp
 *          curl -v http://localhost:8888/hello
 */
import { Hono } from 'hono';
import { fromFetch } from './fetch.ts';

// #region handler
const hono = new Hono();

hono.get('/hello', (c) => c.text('Hello world from Hono!\n'));
// #endregion

// #region app
/** Hono's fetch handler as a gateway application. Any other path gets Hono's own 404. */
export const app = fromFetch((request) => hono.fetch(request));
// #endregion
