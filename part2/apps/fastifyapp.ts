/**
 * A Fastify application (https://fastify.dev), written as Fastify's docs
 * write one, served by our gateway server through the node:http adapter.
 * Where Fastify's docs end with `fastify.listen({ port: 3000 })`, we wait
 * until its plugins are loaded (`ready()`) and export its router, the
 * function its own node:http server calls for each request. Its docs also
 * turn on Fastify's logger (`logger: true`); we leave it off, so that the
 * server's own request log is the one you read.
 *
 * Run it:  npm run part2 -- fastifyapp
 *          curl -v http://localhost:8888/hello
 *          curl -v -H 'Content-Type: application/json' -d '{"name":"René"}' \
 *            http://localhost:8888/echo
 */
import Fastify from 'fastify';
import { fromNodeHttp } from './node-http.ts';

// #region handler
const fastify = Fastify();

fastify.get('/hello', async () => 'Hello world from Fastify!\n');

fastify.get<{ Params: { name: string } }>('/hello/:name', async (request) => {
  return `Hello ${request.params.name} from Fastify!\n`;
});

// Fastify parses a JSON body itself; a malformed one gets its own 400.
fastify.post('/echo', async (request) => request.body);
// #endregion

// #region app
await fastify.ready();

/** Fastify's router as a gateway application. Any other path gets Fastify's own 404. */
export const app = fromNodeHttp((req, res) => fastify.routing(req, res));
// #endregion
