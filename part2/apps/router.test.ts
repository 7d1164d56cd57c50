import { describe, expect, it } from 'vitest';
import { callApp, headerValue, makeEnviron } from '../../scripts/lib/harness.ts';
import { startGateway } from '../../scripts/lib/servers.ts';
import { exchange } from '../../scripts/lib/wire.ts';
import type { Application, Environ } from '../gateway.ts';
import { app, ARGS_KEY, NAMED_ARGS_KEY, route, utf8 } from './router.ts';

/** An app that reports which name it has and what the router put in environ. */
function spy(name: string, seen: Array<[string, Environ]>): Application {
  return (environ, startResponse) => {
    seen.push([name, environ]);
    startResponse('200 OK', [['Content-Type', 'text/plain']]);
    return [Buffer.from(name)];
  };
}

describe('route(): the regex-routing middleware', () => {
  it(
    'calls the first application whose pattern matches PATH_INFO, with the captures in ' +
      'router.args',
    async () => {
      const seen: Array<[string, Environ]> = [];
      const router = route([
        [/^\/users\/(\d+)$/, spy('user', seen)],
        [/^\/users\/(\w+)$/, spy('by-name', seen)],
        [/^\/users\/(.*)$/, spy('anything', seen)],
      ]);
      expect((await callApp(router, makeEnviron({ PATH_INFO: '/users/42' }))).body.toString()).toBe(
        'user',
      );
      expect(
        (await callApp(router, makeEnviron({ PATH_INFO: '/users/ann' }))).body.toString(),
      ).toBe('by-name');
      expect(seen.map(([name, environ]) => [name, environ[ARGS_KEY]])).toEqual([
        ['user', ['42']],
        ['by-name', ['ann']],
      ]);
    },
  );

  it("puts named groups in router.named_args, and '' for a group that took no part", async () => {
    const seen: Array<[string, Environ]> = [];
    const router = route([[/^\/(?<year>\d{4})(?:\/(\d{2}))?$/, spy('archive', seen)]]);
    await callApp(router, makeEnviron({ PATH_INFO: '/2019' }));
    expect(seen[0]![1][ARGS_KEY]).toEqual(['2019', '']);
    expect(seen[0]![1][NAMED_ARGS_KEY]).toEqual({ year: '2019' });
  });

  it('reads an empty PATH_INFO as the root (PEP 3333: the app is at SCRIPT_NAME)', async () => {
    const seen: Array<[string, Environ]> = [];
    await callApp(route([[/^\/$/, spy('root', seen)]]), makeEnviron({ PATH_INFO: '' }));
    expect(seen.map(([name]) => name)).toEqual(['root']);
  });

  it('answers 404 with a short text body when nothing matches, or calls notFound', async () => {
    const response = await callApp(route([]), makeEnviron({ PATH_INFO: '/missing' }));
    expect(response.status).toBe('404 Not Found');
    expect(response.body.toString()).toBe('Not Found: no route for /missing\n');
    const seen: Array<[string, Environ]> = [];
    expect((await callApp(route([], spy('fallback', seen)))).body.toString()).toBe('fallback');
  });

  it("hands the routed app's body to the server untouched, close() and all", () => {
    const body = Object.assign([Buffer.from('x')], { close: () => {} });
    const inner: Application = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      return body;
    };
    expect(route([[/^\//, inner]])(makeEnviron(), () => () => {})).toBe(body);
  });
});

describe('the demo site', () => {
  it('GET / lists the routes', async () => {
    const response = await callApp(app);
    expect(response.status).toBe('200 OK');
    expect(response.body.toString()).toContain('/hello/NAME');
  });

  it('GET /hello/NAME greets NAME, read from ISO-8859-1 PATH_INFO as UTF-8', async () => {
    // What the server makes of /hello/%C3%A9: the two bytes C3 A9, one character each.
    const response = await callApp(app, makeEnviron({ PATH_INFO: '/hello/\u00c3\u00a9' }));
    expect(response.body.toString('utf8')).toBe('Hello, \u00e9!\n');
    expect(headerValue(response.headers, 'content-type')).toBe('text/plain; charset=utf-8');
    expect(headerValue(response.headers, 'content-length')).toBe(String(response.body.length));
  });

  it('bytes that are not UTF-8 become U+FFFD, not an error', () => {
    expect(utf8('\u00ff')).toBe('\ufffd');
  });

  it('anything else is 404 Not Found', async () => {
    expect((await callApp(app, makeEnviron({ PATH_INFO: '/hello/a/b' }))).status).toBe(
      '404 Not Found',
    );
  });

  it('behind the server, /hello/%C3%A9 greets é (and the 404 shows the decoded path)', async () => {
    const gateway = await startGateway(app);
    try {
      const get = (target: string) =>
        exchange(gateway.target, [
          Buffer.from(`GET ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`, 'latin1'),
        ]).then((r) => r.bytes.toString('utf8'));
      expect(await get('/hello/%C3%A9')).toMatch(
        /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nHello, \u00e9!\n$/,
      );
      expect(await get('/caf%C3%A9')).toMatch(
        /^HTTP\/1\.1 404 Not Found\r\n[^]*\r\n\r\nNot Found: no route for \/caf\u00e9\n$/,
      );
    } finally {
      await gateway.close();
    }
  });
});
