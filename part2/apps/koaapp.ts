/**
 * A Koa application (https://koajs.com), written as Koa's docs write one,
 * with the router and body parser of the Koa organisation (@koa/router,
 * @koa/bodyparser), served by our gateway server through the node:http
 * adapter. Where Koa's docs end with `app.listen(3000)`, we export
 * `app.callback()`, the handler `listen` would give node:http.
 *
 * Run it:  npm run part2 -- koaapp
 *          curl -v http://localhost:8888/hello
 *          curl -v -H 'Content-Type: application/json' -d '{"name":"René"}' \
 *            http://localhost:8888/echo
 */
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { fromNodeHttp } from './node-http.ts';

// #region handler
const koa = new Koa();
const router = new Router();

router.get('/hello', (ctx) => {
  ctx.body = 'Hello world from Koa!\n';
});

router.get('/hello/:name', (ctx) => {
  ctx.body = `Hello ${ctx.params.name} from Koa!\n`;
});

// bodyParser() parses a JSON body into ctx.request.body; a malformed one is a 400.
router.post('/echo', bodyParser(), (ctx) => {
  ctx.body = ctx.request.body;
});

koa.use(router.routes());
// #endregion

// #region app
/** Koa's handler as a gateway application. Any other path gets Koa's own 404. */
export const app = fromNodeHttp(koa.callback());
// #endregion
