/**
 * An Express application (https://expressjs.com), written as Express's docs
 * write one, served by our gateway server through the node:http adapter: the
 * framework is unchanged, the server is unchanged, only fromNodeHttp sits
 * between them. Where Express's docs end with `app.listen(3000)`, we export
 * the app wrapped once; `http.createServer(express)` would take the same app.
 *
 * Run it:  npm run part2 -- expressapp
 *          curl -v http://localhost:8888/hello
 *          curl -v http://localhost:8888/hello/Ren%C3%A9
 *          curl -v -H 'Content-Type: application/json' -d '{"name":"René"}' \
 *            http://localhost:8888/echo
 */
import express, { type ErrorRequestHandler } from 'express';
import { fromNodeHttp } from './node-http.ts';

// #region handler
export const expressApp = express();

expressApp.get('/hello', (req, res) => {
  res.type('text').send('Hello world from Express!\n');
});

expressApp.get('/hello/:name', (req, res) => {
  res.type('text').send(`Hello ${req.params.name} from Express!\n`);
});

// express.json() parses a JSON body into req.body; a malformed one is a 400 error.
expressApp.post('/echo', express.json(), (req, res) => {
  res.json(req.body);
});
// #endregion

// #region error-handler
/**
 * Express's docs ("Error handling") add an error handler of four arguments:
 * Express's own prints the stack trace unless NODE_ENV is production. This
 * one answers with the status the error carries and, for a 4xx, its message.
 */
const onError: ErrorRequestHandler = (
  error: { status?: number; message: string },
  req,
  res,
  next,
) => {
  const status = error.status ?? 500;
  res
    .status(status)
    .type('text')
    .send(`${status < 500 ? error.message : 'Internal Server Error'}\n`);
};
expressApp.use(onError);
// #endregion

// #region app
/** The Express app as a gateway application. Any other path gets Express's own 404. */
export const app = fromNodeHttp(expressApp);
// #endregion
