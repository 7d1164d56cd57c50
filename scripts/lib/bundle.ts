/**
 * Bundling the course's programs into plain JavaScript, for `npm run part3` (scripts/part3.ts),
 * `npm start`, `npm run bench` and the tests that run a step.
 *
 * Why bundle. From 3c on, a server starts a Node process per connection (or
 * per worker, in 3i), and a Node child of a parent started by tsx inherits
 * tsx's loader flags (`process.execArgv`), then compiles TypeScript before it
 * can take its first connection: several times the start-up time and memory of
 * a child that runs plain JavaScript (part3/NOTES.md has the figures, and
 * scripts/measure/fork-cost.ts measures them again). Plain Node cannot import a .ts
 * file at all. So a step is bundled with esbuild into .build/part3/
 * (ignored by git), the application named by MODULE:EXPORT the same
 * way, and `node` runs the JavaScript. The steps fork themselves with
 * `execArgv: []`: no loader.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path, { basename, dirname, join, relative, resolve as resolvePath, type PlatformPath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { findModule } from '../../part2/loader.ts';
import { REPO_ROOT } from './repo.ts';

/** Where the bundles go. Listed in .gitignore. */
export const BUILD_DIR = join(REPO_ROOT, '.build', 'part3');

/** What `npm run part3 -- NAME` runs, and one line about it. */
export const PROGRAMS: Record<string, { file: string; about: string }> = {
  '3a': { file: 'part3/webserver3a.ts', about: 'iterative: one connection at a time' },
  '3b': { file: 'part3/webserver3b.ts', about: 'iterative, and blocks --sleep seconds after each response: the next client waits' },
  '3c': { file: 'part3/webserver3c.ts', about: 'a child process per connection; the parent closes its copy' },
  '3d': { file: 'part3/webserver3d.ts', about: 'the parent keeps its copy: descriptors pile up, clients never see the end' },
  '3e': { file: 'part3/webserver3e.ts', about: 'zombies: a child that has exited and that its parent has not waited for' },
  '3f': { file: 'part3/webserver3f.ts', about: "the grim reaper: the parent learns of each child's exit and counts the living" },
  '3g': { file: 'part3/webserver3g.ts', about: 'at most --max-children children; the other connections wait, paused' },
  '3h': { file: 'part3/webserver3h.ts', about: "Part 2's gateway server, a child per connection: npm run part3 -- 3h MODULE:EXPORT" },
  '3i': { file: 'part3/webserver3i.ts', about: 'a pre-forked pool of workers sharing the listening socket: npm run part3 -- 3i MODULE:EXPORT' },
  client: { file: 'part3/client3.ts', about: 'the load client: --max-clients processes x --max-conns connections' },
  baseline: { file: 'scripts/measure/http-baseline.ts', about: 'node:http answering as the hello app does, one process: the yardstick for 3i' },
  'net-floor': { file: 'scripts/measure/net-floor.ts', about: "node:net's floor: write the response on the first read, close; no parsing, no log" },
};

/**
 * Modules every bundle shares instead of inlining a copy: the gateway
 * interface, whose InterfaceError the server recognises with instanceof when
 * an application (or the validator middleware) throws one. Two copies would
 * be two different classes.
 */
const SHARED = ['part2/gateway.ts'];

/** The programs that take an application as MODULE:EXPORT. */
const TAKES_APP = new Set(['3h', '3i']);

/** Options of the programs that take a value, so that the application spec can be told from an option's value. */
const VALUE_OPTIONS = ['port', 'host', 'sleep', 'busy', 'max-children', 'workers', 'schedule', 'max-clients', 'max-conns', 'timeout'];

/** Accepts `3c`, `webserver3c`, `part3/webserver3c.ts`, `client`, `baseline`. */
export function programName(name: string): string | undefined {
  const key = basename(name).replace(/\.ts$/, '').replace(/^webserver/, '').replace(/^client3$/, 'client');
  return key in PROGRAMS ? key : undefined;
}

/**
 * CommonJS packages inlined into an ES module bundle (Express, Koa, Fastify
 * and their dependencies) still call `require('node:http')` and the like;
 * esbuild turns that into a call that throws ("Dynamic require of "tty" is
 * not supported") unless the module has a `require` of its own. This gives
 * it Node's (Node docs: module.createRequire). Only application bundles get
 * it (`withRequire`): the steps themselves are ES modules through and through.
 */
const REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * Bundles `entry` (a path from the repository root, or absolute) into
 * BUILD_DIR and returns the bundle's absolute path. Node built-ins stay
 * imports; everything else, the course's own modules and node_modules alike,
 * is inlined, so a child process reads one file.
 *
 * The bundle is written under a temporary name and renamed, so that two test
 * files building the same step at once never run a half-written file.
 */
export async function bundle(
  entry: string,
  outName = `${basename(entry).replace(/\.[cm]?[jt]s$/, '')}.mjs`,
  { withRequire = false }: { withRequire?: boolean } = {},
): Promise<string> {
  const entryPath = resolvePath(REPO_ROOT, entry);
  const outfile = join(BUILD_DIR, outName);
  const shared = SHARED.map((file) => resolvePath(REPO_ROOT, file)).filter((file) => file !== entryPath);
  await Promise.all(shared.map((file) => bundle(file, sharedName(file))));
  const result = await build({
    entryPoints: [entryPath],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [ownImportMetaUrl(entryPath), importShared(shared, dirname(outfile))],
    ...(withRequire ? { banner: { js: REQUIRE_BANNER } } : {}),
  });
  mkdirSync(dirname(outfile), { recursive: true });
  const temporary = `${outfile}.${process.pid}.tmp`;
  writeFileSync(temporary, result.outputFiles[0]!.contents);
  renameSync(temporary, outfile);
  return outfile;
}

/**
 * esbuild gives every module of a bundle the bundle's own `import.meta.url`.
 * That would break the usual "am I the program?" check
 * (`import.meta.url === pathToFileURL(process.argv[1]).href`): bundled with
 * 3h, Part 2's webserver2.ts would think it is the program and start its own
 * server. So every module but the entry keeps the URL of its source file, as
 * it has when Node loads it unbundled.
 */
function ownImportMetaUrl(entryPath: string): Plugin {
  return {
    name: 'own-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (args.path === entryPath || !source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
        return { contents: source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
      });
    },
  };
}

/** Where the bundle of a shared module goes, inside BUILD_DIR. */
function sharedName(file: string): string {
  return join('shared', basename(file).replace(/\.[cm]?ts$/, '.mjs'));
}

/** Imports of a {@link SHARED} module stay imports, of its own bundle, so that every bundle of a process uses the same one. */
function importShared(shared: string[], outDir: string): Plugin {
  return {
    name: 'import-shared',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const file = resolvePath(args.resolveDir, args.path);
        if (!shared.includes(file)) return undefined;
        return { path: importSpecifier(outDir, join(BUILD_DIR, sharedName(file))), external: true };
      });
    },
  };
}

/**
 * The relative import specifier from a bundle in `fromDir` to `toFile`:
 * `./shared/gateway.mjs`, `../shared/gateway.mjs`. Always `/`-separated:
 * Node reads a specifier as a URL, so Windows' `..\shared\gateway.mjs` would
 * be a bare package name (ERR_INVALID_MODULE_SPECIFIER).
 * `paths` is node:path's platform flavour, a parameter so a test can use path.win32.
 */
export function importSpecifier(fromDir: string, toFile: string, paths: Pick<PlatformPath, 'relative' | 'sep'> = path): string {
  const posixPath = paths.relative(fromDir, toFile).split(paths.sep).join('/');
  return posixPath.startsWith('../') ? posixPath : `./${posixPath}`;
}

/** Bundles a program of {@link PROGRAMS} and returns the path of its JavaScript. */
export function buildProgram(name: string): Promise<string> {
  const program = PROGRAMS[name];
  if (!program) throw new Error(`No program ${name}: pick one of ${Object.keys(PROGRAMS).join(', ')}`);
  return bundle(program.file);
}

/**
 * Bundles the module of an application spec (`hello`, `honoapp:app`,
 * `part2/apps/router.ts:app`), found as Part 2's loadApplication finds it
 * (a path, or a name in part2/apps/), and returns the same spec pointing at
 * the bundle: `/…/.build/part3/apps/hello.mjs:app`.
 * @throws Error with a one-line message when there is no such module.
 */
export async function buildApplication(spec: string): Promise<string> {
  const colon = spec.lastIndexOf(':');
  const [moduleName, exportName] = colon > 0 ? [spec.slice(0, colon), spec.slice(colon + 1)] : [spec, 'app'];
  const file = findModule(moduleName); // the same lookup as Part 2's loadApplication
  if (!file) throw new Error(`Cannot load ${spec}: no module ${moduleName} (looked for it as a path and in part2/apps/)`);
  const outName = join('apps', relative(REPO_ROOT, file).replace(/^(\.\.[/\\])+/, '').replace(/[/\\]/g, '_').replace(/\.[cm]?[jt]s$/, '.mjs'));
  return `${await bundle(file, outName, { withRequire: true })}:${exportName}`;
}

/**
 * The arguments to run `name` with: for 3h and 3i, the MODULE:EXPORT
 * argument becomes the spec of its bundle; everything else passes unchanged.
 */
export async function prepareArguments(name: string, args: string[]): Promise<string[]> {
  if (!TAKES_APP.has(name)) return args;
  const { tokens } = parseArgs({
    args,
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: Object.fromEntries(VALUE_OPTIONS.map((option) => [option, { type: 'string' as const }])),
  });
  const positional = tokens.find((token) => token.kind === 'positional');
  if (!positional) return args; // the step itself says what is missing
  const prepared = [...args];
  prepared[positional.index] = await buildApplication(args[positional.index]!);
  return prepared;
}

/** What `npm run part3` with no step prints: every program, one line each. */
export function usage(): string {
  const lines = Object.entries(PROGRAMS).map(([name, { about }]) => `  ${name.padEnd(9)} ${about}`);
  return ['Usage: npm run part3 -- STEP [options]', '', ...lines, '', 'Each step says its options in the banner at the top of its file.'].join('\n');
}
