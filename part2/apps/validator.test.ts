import { describe, expect, it } from 'vitest';
import { callApp, makeEnviron } from '../../scripts/lib/harness.ts';
import { startGateway } from '../../scripts/lib/servers.ts';
import { exchange } from '../../scripts/lib/wire.ts';
import { InterfaceError, type Application, type Body, type Environ } from '../gateway.ts';
import { app as hello } from './hello.ts';
import { checkEnviron, validator } from './validator.ts';

const TEXT: Array<[string, string]> = [['Content-Type', 'text/plain']];

/**
 * Asserts that `run` throws (or rejects with) an InterfaceError whose message starts with PEP 3333
 * and matches `rule`.
 */
async function expectViolation(run: () => unknown, rule: RegExp): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(InterfaceError);
  expect((error as Error).message).toMatch(/^PEP 3333/);
  expect((error as Error).message).toMatch(rule);
}

/** An environ with one key removed. */
function without(key: string): Environ {
  const environ = makeEnviron();
  delete environ[key];
  return environ;
}

describe('validator: the server side (environ), checked before the application runs', () => {
  const REQUIRED = [
    'REQUEST_METHOD',
    'SCRIPT_NAME',
    'PATH_INFO',
    'QUERY_STRING',
    'CONTENT_TYPE',
    'CONTENT_LENGTH',
    'SERVER_NAME',
    'SERVER_PORT',
    'SERVER_PROTOCOL',
    'wsgi.version',
    'wsgi.url_scheme',
    'wsgi.input',
    'wsgi.errors',
    'wsgi.multithread',
    'wsgi.multiprocess',
    'wsgi.run_once',
  ];
  for (const key of REQUIRED) {
    it(`a missing ${key}`, async () => {
      await expectViolation(
        () => checkEnviron(without(key)),
        new RegExp(`"environ Variables": the required key ${key.replace('.', '\\.')} is missing`),
      );
    });
  }

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'a CGI key that is not a string',
      { SERVER_PORT: 8888 },
      /SERVER_PORT must be a string, got the number 8888/,
    ],
    [
      'an empty REQUEST_METHOD',
      { REQUEST_METHOD: '' },
      /REQUEST_METHOD must be a non-empty method token/,
    ],
    ["SCRIPT_NAME '/'", { SCRIPT_NAME: '/', PATH_INFO: '' }, /SCRIPT_NAME must not be '\/'/],
    [
      'SCRIPT_NAME without a leading slash',
      { SCRIPT_NAME: 'app' },
      /SCRIPT_NAME must be '' or start with '\/'/,
    ],
    [
      'PATH_INFO without a leading slash',
      { PATH_INFO: 'hello' },
      /PATH_INFO must be '' or start with '\/'/,
    ],
    [
      'a CONTENT_LENGTH that is not a number',
      { CONTENT_LENGTH: 'five' },
      /CONTENT_LENGTH must be '' or a number of bytes/,
    ],
    [
      'HTTP_CONTENT_TYPE',
      { HTTP_CONTENT_TYPE: 'text/plain' },
      /HTTP_CONTENT_TYPE must not be present/,
    ],
    [
      'HTTP_CONTENT_LENGTH',
      { HTTP_CONTENT_LENGTH: '5' },
      /HTTP_CONTENT_LENGTH must not be present/,
    ],
    ['an empty SERVER_NAME', { SERVER_NAME: '' }, /SERVER_NAME must not be empty/],
    ['an empty SERVER_PORT', { SERVER_PORT: '' }, /SERVER_PORT must not be empty/],
    [
      'wsgi.version other than [1, 0]',
      { 'wsgi.version': [1, 1] },
      /wsgi\.version must be \[1, 0\]/,
    ],
    [
      'wsgi.url_scheme other than http or https',
      { 'wsgi.url_scheme': 'ftp' },
      /wsgi\.url_scheme must be 'http' or 'https'/,
    ],
    [
      'a wsgi flag that is not a boolean',
      { 'wsgi.multithread': 'no' },
      /wsgi\.multithread must be true or false/,
    ],
  ];
  for (const [name, overrides, rule] of cases) {
    it(name, async () => {
      await expectViolation(() => validator(hello)(makeEnviron(overrides), () => () => {}), rule);
    });
  }

  it('environ that is not an object', async () => {
    await expectViolation(() => checkEnviron('REQUEST_METHOD=GET'), /environ must be an object/);
  });

  it('wsgi.input without readlines, or without iteration', async () => {
    const noReadlines = {
      read: () => Buffer.alloc(0),
      readline: () => Buffer.alloc(0),
      *[Symbol.iterator]() {},
    };
    await expectViolation(
      () => checkEnviron(makeEnviron({ 'wsgi.input': noReadlines })),
      /"Input and Error Streams": wsgi\.input must have readlines\(\)/,
    );
    const notIterable = {
      read: () => Buffer.alloc(0),
      readline: () => Buffer.alloc(0),
      readlines: () => [],
    };
    await expectViolation(
      () => checkEnviron(makeEnviron({ 'wsgi.input': notIterable })),
      /wsgi\.input must have iteration/,
    );
  });

  it('wsgi.errors without flush', async () => {
    const errors = { write: () => {}, writelines: () => {} };
    await expectViolation(
      () => checkEnviron(makeEnviron({ 'wsgi.errors': errors })),
      /"Input and Error Streams": wsgi\.errors must have flush\(\)/,
    );
  });

  it('names the rule before the application runs', async () => {
    let called = false;
    const app: Application = () => {
      called = true;
      return [];
    };
    await expectViolation(
      () => validator(app)(makeEnviron({ REQUEST_METHOD: '' }), () => () => {}),
      /REQUEST_METHOD/,
    );
    expect(called).toBe(false);
  });
});

describe('validator: the application side (start_response and the body)', () => {
  /** Runs `app` behind the validator the way a server does. */
  const run = (app: Application) => () => callApp(validator(app));

  it('a status that is not a code and a reason phrase (gateway.ts checkStatus)', async () => {
    await expectViolation(
      run((_e, startResponse) => {
        startResponse('200', TEXT);
        return [];
      }),
      /status must be a 3-digit code, a space and a reason phrase/,
    );
  });

  it('a hop-by-hop header (gateway.ts checkHeaders)', async () => {
    await expectViolation(
      run((_e, startResponse) => {
        startResponse('200 OK', [...TEXT, ['Connection', 'keep-alive']]);
        return [];
      }),
      /"Other HTTP Features": hop-by-hop header Connection/,
    );
  });

  it('start_response called twice without exc_info', async () => {
    await expectViolation(
      run((_e, startResponse) => {
        startResponse('200 OK', TEXT);
        startResponse('404 Not Found', TEXT);
        return [];
      }),
      /"The start_response\(\) Callable": called a second time without exc_info/,
    );
  });

  it(
    'start_response called a second time with exc_info is allowed (an error handler replacing ' +
      'the response)',
    async () => {
      const response = await callApp(
        validator((_e, startResponse) => {
          startResponse('200 OK', TEXT);
          startResponse('500 Internal Server Error', TEXT, new Error('the view failed'));
          return [Buffer.from('sorry\n')];
        }),
      );
      expect(response.status).toBe('500 Internal Server Error');
    },
  );

  it('no Content-Type in a response with a body (wsgiref.validate rule)', async () => {
    await expectViolation(
      run((_e, startResponse) => {
        startResponse('200 OK', []);
        return [Buffer.from('hi')];
      }),
      /validator \(wsgiref\.validate\): no Content-Type header in a 200 response/,
    );
  });

  it('a Content-Type in a 204 response', async () => {
    await expectViolation(
      run((_e, startResponse) => {
        startResponse('204 No Content', TEXT);
        return [];
      }),
      /a 204 response has no body, so it must not have a Content-Type/,
    );
  });

  it('body bytes in a 304 response', async () => {
    await expectViolation(
      run((_e, startResponse) => {
        startResponse('304 Not Modified', []);
        return [Buffer.from('stale')];
      }),
      /a 304 Not Modified response must not have a body, got 5 bytes/,
    );
  });

  it('a body that is a string', async () => {
    await expectViolation(
      run((_e, startResponse) => {
        startResponse('200 OK', TEXT);
        return 'Hello' as unknown as Body;
      }),
      /"Specification Details": the application returned a string/,
    );
  });

  it('a body that is bytes, not an iterable of bytes', async () => {
    await expectViolation(
      run((_e, startResponse) => {
        startResponse('200 OK', TEXT);
        return Buffer.from('Hello') as unknown as Body;
      }),
      /returned bytes, not an iterable of bytes/,
    );
  });

  it('a body that is not iterable', async () => {
    await expectViolation(
      run(() => undefined as unknown as Body),
      /must return an iterable of bytes, got undefined/,
    );
  });

  it('a chunk that is a string (gateway.ts checkChunk)', async () => {
    await expectViolation(
      run((_e, startResponse) => {
        startResponse('200 OK', TEXT);
        return ['Hello'] as unknown as Body;
      }),
      /the body must yield bytes \(Uint8Array\), got a string "Hello"/,
    );
  });

  it('body bytes before start_response', async () => {
    await expectViolation(
      run(function* (_e, startResponse) {
        yield Buffer.from('too early');
        startResponse('200 OK', TEXT);
      }),
      /the body yielded bytes before start_response was called/,
    );
  });

  it('a body that ends without start_response ever being called', async () => {
    await expectViolation(
      run(() => []),
      /the body ended and start_response was never called/,
    );
  });

  it('write() with a string', async () => {
    await expectViolation(
      run((_e, startResponse) => {
        const write = startResponse('200 OK', TEXT);
        write('Hello' as unknown as Uint8Array);
        return [];
      }),
      /the body must yield bytes/,
    );
  });

  it('the server calling close() twice, or reading the body after close()', async () => {
    let closes = 0;
    const app: Application = (_e, startResponse) => {
      startResponse('200 OK', TEXT);
      return Object.assign([Buffer.from('a'), Buffer.from('b')], { close: () => void closes++ });
    };
    const body = validator(app)(makeEnviron(), () => () => {}) as Iterable<Uint8Array> & {
      close: () => void;
    };
    const iterator = body[Symbol.iterator]();
    iterator.next();
    body.close();
    await expectViolation(
      () => iterator.next(),
      /the server read the body after calling its close\(\)/,
    );
    await expectViolation(() => body.close(), /the server called the body's close\(\) twice/);
    expect(closes).toBe(1);
  });
});

describe('validator: an application that keeps the rules passes unchanged', () => {
  it('the hello app: same status, headers and body', async () => {
    expect(await callApp(validator(hello))).toEqual(await callApp(hello));
  });

  it(
    'a generator that yields an empty chunk first, then calls start_response: PEP 3333 allows ' +
      'both',
    async () => {
      const app: Application = function* (_e, startResponse) {
        yield Buffer.alloc(0);
        startResponse('200 OK', TEXT);
        yield Buffer.from('late but fine\n');
      };
      const response = await callApp(validator(app));
      expect(response.body.toString()).toBe('late but fine\n');
    },
  );

  it('an async body, and a 204 with no Content-Type and no body', async () => {
    const app: Application = (environ, startResponse) => {
      if (environ.PATH_INFO === '/empty') {
        startResponse('204 No Content', []);
        return [];
      }
      startResponse('200 OK', TEXT);
      return (async function* () {
        yield Buffer.from('async ');
        yield Buffer.from('body\n');
      })();
    };
    expect((await callApp(validator(app))).body.toString()).toBe('async body\n');
    expect((await callApp(validator(app), makeEnviron({ PATH_INFO: '/empty' }))).status).toBe(
      '204 No Content',
    );
  });

  it("forwards close() to the application's body exactly once", async () => {
    let closes = 0;
    const app: Application = (_e, startResponse) => {
      startResponse('200 OK', TEXT);
      return Object.assign([Buffer.from('bye\n')], { close: () => void closes++ });
    };
    await callApp(validator(app));
    expect(closes).toBe(1);
  });
});

describe('validator: end to end, behind the gateway server', () => {
  const GET = Buffer.from('GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n', 'latin1');

  it('a bad application gets the client a 500, and wsgi.errors names the rule', async () => {
    const bad: Application = (_e, startResponse) => {
      startResponse('200 OK', []);
      return [Buffer.from('no type\n')];
    };
    const gateway = await startGateway(validator(bad));
    try {
      const result = await exchange(gateway.target, [GET]);
      expect(result.bytes.toString('latin1')).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
      expect(gateway.errors.join('')).toContain(
        'PEP 3333 validator (wsgiref.validate): no Content-Type header in a 200 response',
      );
    } finally {
      await gateway.close();
    }
  });

  it("the server's close() reaches the application's body once", async () => {
    let closes = 0;
    const app: Application = (_e, startResponse) => {
      startResponse('200 OK', TEXT);
      return Object.assign([Buffer.from('bye\n')], { close: () => void closes++ });
    };
    const gateway = await startGateway(validator(app));
    try {
      const result = await exchange(gateway.target, [GET]);
      expect(result.bytes.toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nbye\n$/);
      expect(closes).toBe(1);
      expect(gateway.errors).toEqual([]);
    } finally {
      await gateway.close();
    }
  });
});
