import { describe, expect, it } from 'vitest';
import { callApp, makeEnviron } from '../../scripts/lib/harness.ts';
import { startGateway } from '../../scripts/lib/servers.ts';
import { exchange } from '../../scripts/lib/wire.ts';
import { encodePath, fromFetch, toRequest } from './fetch.ts';

/** toRequest's answer when it must be a Request. */
function request(overrides: Record<string, unknown>, body?: Buffer): Request {
  const built = toRequest(makeEnviron(overrides, body));
  if (!(built instanceof Request))
    throw new Error(`expected a Request, got a ${built.status} Response`);
  return built;
}

describe('toRequest: environ to a WHATWG Request', () => {
  it(
    'rebuilds the URL from wsgi.url_scheme, HTTP_HOST, the path and QUERY_STRING (PEP 3333 "URL ' +
      'Reconstruction")',
    () => {
      expect(request({ PATH_INFO: '/hello', QUERY_STRING: 'name=world' }).url).toBe(
        'http://localhost:8888/hello?name=world',
      );
    },
  );

  it('without HTTP_HOST, uses SERVER_NAME and SERVER_PORT, leaving out the default port', () => {
    expect(
      request({ HTTP_HOST: undefined, SERVER_NAME: 'example.test', SERVER_PORT: '8080' }).url,
    ).toBe('http://example.test:8080/');
    expect(
      request({ HTTP_HOST: undefined, SERVER_NAME: 'example.test', SERVER_PORT: '80' }).url,
    ).toBe('http://example.test/');
    expect(
      request({ HTTP_HOST: undefined, 'wsgi.url_scheme': 'https', SERVER_PORT: '443' }).url,
    ).toBe('https://localhost/');
  });

  it('percent-encodes SCRIPT_NAME + PATH_INFO again, each character one byte', () => {
    expect(request({ SCRIPT_NAME: '/app', PATH_INFO: '/hello/Ren\u00c3\u00a9' }).url).toBe(
      'http://localhost:8888/app/hello/Ren%C3%A9',
    );
    expect(encodePath("/a b/%/?/#/:@!$&'()*+,;=~")).toBe("/a%20b/%25/%3F/%23/:@!$&'()*+,;=~");
  });

  it('takes the method, the HTTP_* fields, and CONTENT_TYPE and CONTENT_LENGTH', async () => {
    const built = request(
      {
        REQUEST_METHOD: 'POST',
        HTTP_USER_AGENT: 'curl/7.88.1',
        HTTP_X_TRACE_ID: 'abc',
        CONTENT_TYPE: 'text/plain',
        CONTENT_LENGTH: '5',
      },
      Buffer.from('hello'),
    );
    expect(built.method).toBe('POST');
    expect(built.headers.get('user-agent')).toBe('curl/7.88.1');
    expect(built.headers.get('x-trace-id')).toBe('abc');
    expect(built.headers.get('content-type')).toBe('text/plain');
    expect(built.headers.get('content-length')).toBe('5');
    expect(await built.text()).toBe('hello');
  });

  it('gives GET and HEAD no body (Fetch forbids one)', () => {
    expect(request({ REQUEST_METHOD: 'GET' }, Buffer.from('ignored')).body).toBeNull();
    expect(request({ REQUEST_METHOD: 'HEAD' }).body).toBeNull();
  });

  it(
    'refuses a Host that would move the path (400), and OPTIONS * or a method Fetch cannot ' +
      'carry (501)',
    async () => {
      for (const host of ['localhost:8888/admin?', 'a b', 'user@localhost', 'evil#']) {
        const refused = toRequest(makeEnviron({ HTTP_HOST: host }));
        expect(refused).toBeInstanceOf(Response);
        expect((refused as Response).status).toBe(400);
      }
      expect((toRequest(makeEnviron({ HTTP_HOST: '[::1]:8888' })) as Request).url).toBe(
        'http://[::1]:8888/',
      );
      const asterisk = toRequest(
        makeEnviron({ REQUEST_METHOD: 'OPTIONS', PATH_INFO: '*' }),
      ) as Response;
      expect(asterisk.status).toBe(501);
      const trace = toRequest(makeEnviron({ REQUEST_METHOD: 'TRACE' })) as Response;
      expect(trace.status).toBe(501);
      expect(await trace.text()).toBe(
        '501 Not Implemented: the method TRACE cannot reach a fetch handler\n',
      );
    },
  );
});

describe('fromFetch: a fetch handler as a gateway application', () => {
  it(
    "sends the handler's status, headers and body; the reason phrase comes from REASON_PHRASES " +
      'when statusText is empty',
    async () => {
      const app = fromFetch(
        (req) => new Response(`you asked for ${new URL(req.url).pathname}\n`, { status: 404 }),
      );
      const response = await callApp(app, makeEnviron({ PATH_INFO: '/nope' }));
      expect(response.status).toBe('404 Not Found');
      expect(response.headers).toEqual([['content-type', 'text/plain;charset=UTF-8']]);
      expect(response.body.toString()).toBe('you asked for /nope\n');
    },
  );

  it("keeps the handler's statusText; an unknown code gets an empty reason phrase", async () => {
    expect(
      (await callApp(fromFetch(() => new Response(null, { status: 201, statusText: 'Made' }))))
        .status,
    ).toBe('201 Made');
    expect((await callApp(fromFetch(() => new Response(null, { status: 299 })))).status).toBe(
      '299 ',
    );
  });

  it('keeps each Set-Cookie its own header field', async () => {
    const headers = new Headers([
      ['set-cookie', 'a=1; Path=/'],
      ['set-cookie', 'b=2; Expires=Mon, 15 Jul 2019 05:54:48 GMT'],
    ]);
    const response = await callApp(fromFetch(() => new Response('ok', { headers })));
    expect(response.headers.filter(([name]) => name === 'set-cookie')).toEqual([
      ['set-cookie', 'a=1; Path=/'],
      ['set-cookie', 'b=2; Expires=Mon, 15 Jul 2019 05:54:48 GMT'],
    ]);
  });

  it('drops hop-by-hop header fields and logs each one to wsgi.errors', async () => {
    const errors: string[] = [];
    const headers = {
      'content-type': 'text/plain',
      connection: 'keep-alive',
      'transfer-encoding': 'chunked',
    };
    const response = await callApp(
      fromFetch(() => new Response('ok', { headers })),
      makeEnviron({}, undefined, errors),
    );
    expect(response.headers).toEqual([['content-type', 'text/plain']]);
    expect(errors).toEqual([
      'fromFetch: dropped the hop-by-hop header field connection: keep-alive (PEP 3333 "Other ' +
        'HTTP Features")\n',
      'fromFetch: dropped the hop-by-hop header field transfer-encoding: chunked (PEP 3333 ' +
        '"Other HTTP Features")\n',
    ]);
  });

  it('reads the body before start_response: headers set while it streams are sent', async () => {
    const app = fromFetch(() => {
      const encoder = new TextEncoder();
      let response: Response | undefined;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          response!.headers.set('x-body-bytes', '5'); // known only once the body is made
          controller.enqueue(encoder.encode('hello'));
          controller.close();
        },
      });
      response = new Response(stream, { headers: { 'content-type': 'text/plain' } });
      return response;
    });
    const response = await callApp(app);
    expect(response.headers).toContainEqual(['x-body-bytes', '5']);
    expect(response.body.toString()).toBe('hello');
  });

  it('yields nothing for an empty body (start_response is still called)', async () => {
    const response = await callApp(fromFetch(() => new Response(null, { status: 204 })));
    expect(response.status).toBe('204 No Content');
    expect(response.body.length).toBe(0);
  });

  it('propagates what the handler throws; refuses a handler that returns no Response', async () => {
    await expect(
      callApp(fromFetch(() => Promise.reject(new Error('database down')))),
    ).rejects.toThrow('database down');
    await expect(callApp(fromFetch(() => 'hi' as unknown as Response))).rejects.toThrow(
      'fromFetch: the handler must return a Response, got a string "hi"',
    );
  });
});

describe('fromFetch behind the gateway server', () => {
  it(
    'a POST body reaches the handler; a failing handler gets the client a 500 and its error in ' +
      'wsgi.errors',
    async () => {
      const app = fromFetch(async (req) => {
        if (req.method === 'POST') return new Response(`echo: ${await req.text()}\n`);
        throw new Error('only POST here');
      });
      const gateway = await startGateway(app);
      try {
        const post = [
          'POST /echo HTTP/1.1',
          'Host: localhost:8888',
          'Content-Type: text/plain',
          'Content-Length: 5',
          '',
          'hello',
        ].join('\r\n');
        const posted = await exchange(gateway.target, [Buffer.from(post, 'latin1')]);
        expect(posted.bytes.toString('latin1')).toMatch(
          new RegExp(
            '^HTTP/1\\.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8\r\n' +
              '[^]*\r\n\r\necho: hello\n$',
          ),
        );

        const got = await exchange(gateway.target, [
          Buffer.from('GET /echo HTTP/1.1\r\nHost: localhost\r\n\r\n', 'latin1'),
        ]);
        expect(got.bytes.toString('latin1')).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
        expect(gateway.errors.join('')).toContain('Error: only POST here');
      } finally {
        await gateway.close();
      }
    },
  );

  it(
    'a Host header field that would reroute the request gets 400 from the server and never ' +
      'reaches the handler',
    async () => {
      let calls = 0;
      const gateway = await startGateway(fromFetch(() => (calls++, new Response('ok'))));
      try {
        const result = await exchange(gateway.target, [
          Buffer.from('GET /hello HTTP/1.1\r\nHost: localhost/admin?\r\n\r\n', 'latin1'),
        ]);
        expect(result.bytes.toString('utf8')).toMatch(
          /^HTTP\/1\.1 400 Bad Request\r\n[^]*is not a host\[:port\] \(RFC 9112 §3\.2\)\n$/,
        );
        expect(calls).toBe(0);
      } finally {
        await gateway.close();
      }
    },
  );
});
