/**
 * The gateway application behind `npm run class -- ROSTER --watch`, run by the
 * course's pre-forked pool (webserver3i) in each worker: Part 2's static-file
 * app over the folder the watcher writes the page into (CLASS_PAGE_DIR), and
 * one more route. `POST /recheck` (the page's Recheck button) only stamps a
 * file (CLASS_RECHECK_FILE) that the watcher watches: the workers are other
 * processes, and the results stay read-only: no request can change them, only
 * ask for the next round to start now.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Application } from '../../part2/gateway.ts';
import { staticFiles } from '../../part2/apps/static.ts';

const pageDir = resolve(process.env.CLASS_PAGE_DIR ?? '.');
const recheckFile = process.env.CLASS_RECHECK_FILE;
const page = staticFiles(pageDir);

export const app: Application = (environ, startResponse) => {
  if (environ.PATH_INFO === '/recheck' && environ.REQUEST_METHOD === 'POST' && recheckFile) {
    writeFileSync(recheckFile, `${Date.now()}\n`);
    const body = Buffer.from('A recheck is asked for: it starts when the running round (if any) ends.\n');
    startResponse('202 Accepted', [
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Length', String(body.length)],
    ]);
    return [body];
  }
  return page(environ, startResponse); // GET and HEAD; any other method gets its 405
};
