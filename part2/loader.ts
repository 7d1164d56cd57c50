/**
 * Loading an application by name, as webserver2.py takes `module:callable` on its command line,
 * and reading that command line. Part 2's server, Part 3's steps and the step runner
 * (scripts/part3.ts) find applications the same way, here.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, type Application } from './gateway.ts';

// #region load-application
/**
 * Loads the application named by `spec`, in the form `module:export`
 * (webserver2.py takes `module:callable`). The module is a path
 * (`part2/apps/hello.ts`) or a bare name looked up in part2/apps/
 * (`hello` means part2/apps/hello.ts); the export defaults to `app`.
 *
 * @throws Error with a one-line message when the module or export is missing
 *   or the export is not an application.
 */
export async function loadApplication(spec: string): Promise<Application> {
  const colon = spec.lastIndexOf(':');
  const [moduleName, exportName] =
    colon > 0 ? [spec.slice(0, colon), spec.slice(colon + 1)] : [spec, 'app'];
  const file = findModule(moduleName);
  if (!file) {
    const where = 'looked for it as a path and in part2/apps/';
    throw new Error(`Cannot load ${spec}: no module ${moduleName} (${where})`);
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new Error(`Cannot load ${spec}: the module failed to load: ${reason}`);
  }
  if (!(exportName in module)) {
    const names = Object.keys(module).join(', ') || 'none';
    throw new Error(
      `Cannot load ${spec}: ${moduleName} has no export ${exportName} (its exports: ${names})`,
    );
  }
  const app = module[exportName];
  if (typeof app !== 'function') {
    const rule = 'PEP 3333 says an application is a callable taking (environ, start_response)';
    throw new Error(`Cannot load ${spec}: ${rule}, but ${exportName} is ${describe(app)}`);
  }
  return app as Application;
}
// #endregion

/**
 * The file of an application module: `name` as a path, or a module of
 * part2/apps/ (`hello` -> part2/apps/hello.ts); undefined when there is none.
 */
export function findModule(name: string): string | undefined {
  const apps = fileURLToPath(new URL('./apps/', import.meta.url));
  const candidates = [
    resolvePath(name),
    resolvePath(`${name}.ts`),
    resolvePath(apps, name),
    resolvePath(apps, `${name}.ts`),
  ];
  return candidates.find((candidate) => existsSync(candidate) && /\.[cm]?[jt]s$/.test(candidate));
}

/** The port and host a part server uses unless told otherwise (the original's). */
export const DEFAULT_PORT = 8888;
export const DEFAULT_HOST = 'localhost';

/** Reads the command line. @throws Error with a one-line message on bad input. */
export function parseOptions(args: string[]): {
  spec: string;
  port: number;
  host: string;
  quiet: boolean;
} {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) {
    throw new Error('Provide a gateway application as module:export (e.g. npm run part2 -- hello)');
  }
  const port = Number(values.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  }
  return { spec: positionals[0]!, port, host: values.host ?? DEFAULT_HOST, quiet: values.quiet };
}
