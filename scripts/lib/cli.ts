/**
 * What the class tools' command lines share (npm run compare, diff, exercise,
 * record): colour only on a terminal, and a quiet stop when the reader of
 * their output goes away.
 */

/** True when stdout is a terminal and NO_COLOR (no-color.org) is not set. */
export const COLOR = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

/** `text` in the ANSI colour `code` (31 red, 32 green, 2 dim, ...) on a terminal, else as it is. */
export function paint(code: number, text: string): string {
  return COLOR ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/**
 * A reader that stops early (`| head`) closes the pipe: stop printing and keep
 * the exit status, rather than crash on EPIPE.
 */
export function stopQuietlyOnEpipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
