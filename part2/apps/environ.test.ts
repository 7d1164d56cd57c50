import { describe, expect, it } from 'vitest';
import { callApp, headerValue, makeEnviron } from '../../scripts/lib/harness.ts';
import { startGateway } from '../../scripts/lib/servers.ts';
import { exchange } from '../../scripts/lib/wire.ts';
import { app, dumpEnviron, show } from './environ.ts';

describe('environ app: a dump like wsgiref demo_app', () => {
  it('answers 200, text/plain in UTF-8, with a Content-Length that matches the body', async () => {
    const response = await callApp(app);
    expect(response.status).toBe('200 OK');
    expect(headerValue(response.headers, 'content-type')).toBe('text/plain; charset=utf-8');
    expect(headerValue(response.headers, 'content-length')).toBe(String(response.body.length));
    expect(response.body.toString('utf8')).toMatch(/^Hello world!\n\n/);
  });

  it('lists every key, sorted: CGI keys (upper case) first, then wsgi.*', () => {
    const lines = dumpEnviron(makeEnviron()).trimEnd().split('\n');
    const keys = lines.map((line) => line.split(' = ')[0]);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toEqual(Object.keys(makeEnviron()).sort());
    expect(keys.at(-1)).toBe('wsgi.version');
  });

  it(
    'quotes strings (so an empty one shows), and escapes quotes, backslashes and control ' +
      'characters',
    () => {
      expect(show('')).toBe("''");
      expect(show("it's a \\ test\t")).toBe("'it\\'s a \\\\ test\\x09'");
    },
  );

  it('shows the streams by type, the version as a list, the flags as booleans', () => {
    const environ = makeEnviron();
    expect(show(environ['wsgi.input'])).toBe('<InputStream: read, readline, readlines, iterable>');
    expect(show(environ['wsgi.errors'])).toBe('<ErrorStream: write, writelines, flush>');
    expect(show(environ['wsgi.version'])).toBe('[1, 0]');
    expect(show(environ['wsgi.run_once'])).toBe('false');
    expect(show({ extra: 1 })).toBe('<an object (Object)>');
  });

  it('shows PATH_INFO as the server hands it over: a character per byte, not UTF-8', async () => {
    const response = await callApp(app, makeEnviron({ PATH_INFO: '/caf\u00c3\u00a9' }));
    expect(response.body.toString('utf8')).toContain("PATH_INFO = '/caf\u00c3\u00a9'\n");
  });

  it('behind the server: a POST shows CONTENT_TYPE and CONTENT_LENGTH, no HTTP_ key', async () => {
    const gateway = await startGateway(app);
    try {
      const request = [
        'POST /form HTTP/1.1',
        'Host: localhost:8888',
        'Content-Type: text/plain',
        'Content-Length: 5',
        '',
        'hello',
      ].join('\r\n');
      const { bytes } = await exchange(gateway.target, [Buffer.from(request, 'latin1')]);
      const text = bytes.toString('utf8');
      expect(text).toContain(
        "\r\n\r\nHello world!\n\nCONTENT_LENGTH = '5'\nCONTENT_TYPE = 'text/plain'\nHTTP_HOST = " +
          "'localhost:8888'\n",
      );
      expect(text).toContain("REQUEST_METHOD = 'POST'\n");
      expect(text).not.toContain('HTTP_CONTENT');
    } finally {
      await gateway.close();
    }
  });
});
