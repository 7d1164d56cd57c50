/**
 * An application that shows you what the server handed it: `Hello world!`,
 * then every environ key, sorted, one `KEY = value` per line. It is the
 * TypeScript twin of wsgiref's demo_app (Lib/wsgiref/simple_server.py), the
 * first thing to run when you want to see PEP 3333 "environ Variables" for real.
 *
 * Run it:  npm run part2 -- environ
 *          curl 'http://localhost:8888/hello?name=world'
 */
import { describe, type Application, type Environ } from '../gateway.ts';

// #region app
/**
 * The environ dump. Answers every request with `200 OK` and a text/plain
 * body in UTF-8: `Hello world!`, a blank line, then one line per environ key.
 * Strings are quoted, so an empty value (`CONTENT_TYPE = ''`) is visible.
 */
export const app: Application = (environ, startResponse) => {
  const text = `Hello world!\n\n${dumpEnviron(environ)}`;
  const body = Buffer.from(text, 'utf8');
  startResponse('200 OK', [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Length', String(body.length)],
  ]);
  return [body];
};
// #endregion

/**
 * Every key of `environ` in sorted order (code unit order, as Python's sort), one `KEY = value`
 * line each.
 */
export function dumpEnviron(environ: Environ): string {
  return Object.keys(environ)
    .sort()
    .map((key) => `${key} = ${show(environ[key])}\n`)
    .join('');
}

/**
 * One value as a short line. Strings are quoted like Python's repr() (single
 * quotes), so '' shows; the streams show their type, not their insides,
 * because their insides are functions and buffers nobody wants to read.
 */
export function show(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`; // wsgi.version: [1, 0]
  if (isInputStream(value)) return '<InputStream: read, readline, readlines, iterable>';
  if (isErrorStream(value)) return '<ErrorStream: write, writelines, flush>';
  return `<${describe(value)}>`;
}

/**
 * A string in single quotes with quotes, backslashes and control characters
 * escaped. PATH_INFO and the HTTP_ values hold one character per byte
 * (PEP 3333 "Unicode Issues"), so /caf%C3%A9 shows as '/cafÃ©': the dump
 * shows what the application gets, undecoded.
 */
function quote(text: string): string {
  const escaped = text.replace(/[\\'\x00-\x1f\x7f]/g, (char) => {
    if (char === '\\' || char === "'") return `\\${char}`;
    return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return `'${escaped}'`;
}

function isInputStream(value: unknown): boolean {
  const stream = value as { read?: unknown; readline?: unknown } | null;
  return (
    typeof stream === 'object' &&
    stream !== null &&
    typeof stream.read === 'function' &&
    typeof stream.readline === 'function'
  );
}

function isErrorStream(value: unknown): boolean {
  const stream = value as { write?: unknown; flush?: unknown } | null;
  return (
    typeof stream === 'object' &&
    stream !== null &&
    typeof stream.write === 'function' &&
    typeof stream.flush === 'function'
  );
}
