/**
 * How long a lesson takes to read: its words of prose, code blocks aside (the reading budgets of
 * issue 20, Part 1's README and each Part 3 lesson page, and of issue 21, Part 2's README).
 */

/** Words of `markdown` outside fenced code blocks; a link or an image counts its text only. */
export function proseWords(markdown: string): number {
  let fence: string | undefined;
  const prose: string[] = [];
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker?.[0] === fence[0] && marker.length >= fence.length) fence = undefined;
    } else if (marker) fence = marker;
    else prose.push(line.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1'));
  }
  return prose.join('\n').split(/\s+/).filter(Boolean).length;
}
