/**
 * Line anchors in lessons never drift either. A link such as
 * [`getEnviron`](webserver2.ts#L337) must land on the line that declares
 * `getEnviron` (function, const, let, class, interface, type or enum), or on a
 * line that names it when nothing declares it. A line anchor whose link text
 * has no `code` name cannot be checked, so it is a problem too.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/** One line anchor that is wrong, with the line it should point to (when one was found). */
export interface AnchorProblem {
  lesson: string;
  line: number;
  message: string;
  /** The corrected link target, e.g. `webserver2.ts#L341`; undefined when no line fits. */
  fix?: { from: string; to: string };
}

const LINK = /\[([^\]]*)\]\(([^)\s#]+\.(?:ts|js|mjs|json))#L(\d+)(?:-L\d+)?\)/g;

/** The 1-based line that declares `name` in `source`, or else the first line that names it. */
export function findDeclaration(source: string, name: string): number | undefined {
  const lines = source.split('\n');
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const declaration = new RegExp(`\\b(function\\*?|const|let|var|class|interface|type|enum)\\s+${escaped}\\b`);
  const index = lines.findIndex((line) => declaration.test(line));
  if (index !== -1) return index + 1;
  // A class member: `  write(`, `  readonly write: Write =`, `  private framing(`.
  const member = new RegExp(`^\\s+(?:(?:readonly|private|public|protected|static|async)\\s+)*${escaped}\\s*[(:=<]`);
  const memberIndex = lines.findIndex((line) => member.test(line));
  if (memberIndex !== -1) return memberIndex + 1;
  const mention = lines.findIndex((line) => new RegExp(`\\b${escaped}\\b`).test(line));
  return mention === -1 ? undefined : mention + 1;
}

/** Checks every `FILE#Lnn` link of a lesson (path relative to `root`). */
export function checkAnchors(root: string, lesson: string): AnchorProblem[] {
  const markdown = readFileSync(join(root, lesson), 'utf8');
  const problems: AnchorProblem[] = [];
  markdown.split('\n').forEach((text, index) => {
    for (const match of text.matchAll(LINK)) {
      const [, label = '', file = '', lineText = ''] = match;
      const at = `${lesson}:${index + 1}`;
      const path = posix.normalize(posix.join(posix.dirname(lesson), file));
      if (!existsSync(join(root, path))) {
        problems.push({ lesson, line: index + 1, message: `${at}: line anchor into ${path}, which does not exist` });
        continue;
      }
      const name = /`([A-Za-z_$][\w$]*)/.exec(label)?.[1];
      if (!name) {
        problems.push({ lesson, line: index + 1, message: `${at}: line anchor ${file}#L${lineText} names no code to check it by: write [\`name\`](${file}#L${lineText})` });
        continue;
      }
      const source = readFileSync(join(root, path), 'utf8');
      const wanted = findDeclaration(source, name);
      const shown = Number(lineText);
      if (wanted === undefined) {
        problems.push({ lesson, line: index + 1, message: `${at}: ${name} is not in ${path} any more` });
      } else if (!landsOn(source, name, wanted, shown)) {
        problems.push({
          lesson,
          line: index + 1,
          message: `${at}: ${file}#L${shown} is not in ${name} any more; it starts on line ${wanted}`,
          fix: { from: `(${file}#L${lineText}`, to: `(${file}#L${wanted}` },
        });
      }
    }
  });
  return problems;
}

/**
 * True when line `shown` names `name`, or lies inside its declaration: from the
 * declaring line `declared` up to the next top-level declaration (a line that
 * starts with `export`, `function`, `const`, `class`, ... in the first column).
 */
function landsOn(source: string, name: string, declared: number, shown: number): boolean {
  const lines = source.split('\n');
  if (new RegExp(`\\b${name}\\b`).test(lines[shown - 1] ?? '')) return true;
  if (shown < declared || shown > lines.length) return false; // before it, or past the file's end
  for (let line = declared + 1; line < shown; line++) {
    if (/^(export\s|function\s|async\s|const\s|let\s|class\s|interface\s|type\s|enum\s)/.test(lines[line - 1] ?? '')) return false;
  }
  return true;
}

/** Rewrites the fixable anchors of a lesson in place; returns what it fixed. */
export function fixAnchors(root: string, lesson: string): AnchorProblem[] {
  const fixable = checkAnchors(root, lesson).filter((problem) => problem.fix);
  if (fixable.length === 0) return [];
  const lines = readFileSync(join(root, lesson), 'utf8').split('\n');
  for (const problem of fixable) lines[problem.line - 1] = lines[problem.line - 1]!.replace(problem.fix!.from, problem.fix!.to);
  writeFileSync(join(root, lesson), lines.join('\n'));
  return fixable;
}
