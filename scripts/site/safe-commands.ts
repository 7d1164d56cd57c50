/**
 * Safe to paste: a command a student copies from the site must not carry a
 * process ID from the machine the lesson was recorded on. `kill -9 10089`
 * pasted on another machine fails, or signals some other process.
 *
 * What is checked is what a copy button copies (site.js): a terminal
 * session's commands (the `$ ` lines, markdown.ts commandLines), or else the
 * whole block. The output shown under a command may keep its recorded
 * numbers: nobody pastes it as a command. A PID in a command comes from
 * `$(pgrep -f ...)`, a variable an earlier command set, or a placeholder the
 * page explains (`WORKER_PID`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import markdownIt from 'markdown-it';
import { commandLines } from './markdown.ts';
import type { Problem } from './lessons.ts';

/** Where a PID stands in a command: the argument of kill, ps -p/--ppid, lsof/strace -p, a /proc/PID path. */
const PID_PATTERNS: RegExp[] = [
  /\bkill(?:\s+-(?:\d+|[A-Z]+|s\s+\w+|-))*\s+-?\d{2,}\b/, // kill -9 10089, kill -TERM 10078, kill -- -10078
  /--ppid[\s=]+\d+/, // ps --ppid 11414
  /\s-[a-zA-Z]*p\s*\d{2,}\b/, // ps -p 21912, lsof -p 11845, strace -fp 123
  /\/proc\/\d+\//, // /proc/11845/fd
];

/** The commands of `line` that hard-code a PID, or [] when there is none. */
export function hardCodedPids(commands: string): string[] {
  return commands.split('\n').filter((line) => {
    const command = line.replace(/\s#.*$/, ''); // a comment after the command is text
    return PID_PATTERNS.some((pattern) => pattern.test(command));
  });
}

/** What a copy button copies from a fenced block (site.js): the session's commands, or the whole block. */
export function copiedText(content: string): string {
  return commandLines(content) ?? content.replace(/\n$/, '');
}

const parser = markdownIt({ html: true });

/**
 * Every copyable line of the lessons `sources` (repo paths under `root`)
 * that hard-codes a PID, as a build problem: `part3/lessons/04-pool.md:270`.
 */
export function checkCopyableCommands(root: string, sources: string[]): Problem[] {
  const problems: Problem[] = [];
  for (const source of sources) {
    for (const token of parser.parse(readFileSync(join(root, source), 'utf8'), {})) {
      if (token.type !== 'fence') continue;
      for (const line of hardCodedPids(copiedText(token.content))) {
        const at = token.map ? token.map[0] + 1 + token.content.split('\n').findIndex((text) => text.includes(line)) + 1 : 1;
        problems.push({
          lesson: source,
          line: at,
          message: `${source}:${at}: a copyable command hard-codes a process ID from the recording machine: ${line.trim()} (use $(pgrep -f ...), a variable an earlier command sets, or a placeholder the page explains)`,
          details: '',
          fixable: false,
        });
      }
    }
  }
  return problems;
}
