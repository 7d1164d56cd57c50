/**
 * The HTML report of `npm run class`: a table per part, a row per student, a
 * cell per check; a click on a cell shows that check's details and byte diff
 * with CR and LF visible. One self-contained file (its style and script
 * inline, nothing fetched from elsewhere). The live page (`--watch`) is the
 * same page, which also reloads its results fragment and has a Recheck button.
 *
 * Everything that comes from a roster or off the wire goes through escapeHtml.
 */
import { allPass, type Row } from './run.ts';
import { describeProgress, groupRows } from './matrix.ts';

/** Where the results stand, shown above the tables. */
export interface RoundStatus {
  /** 1 for the first round. */
  round: number;
  /** When the shown results were taken (the last finished round), if any. */
  finishedAt?: Date;
  /** A round is running now. */
  running: boolean;
  /** --watch: when the next round starts on its own. */
  nextAt?: Date;
}

/** `&`, `<`, `>`, `"` and `'` as character references: safe in text and in quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A diff line's class: `-` expected (golden) side, `+` actual (the student's server). */
function diffLine(line: string): string {
  const kind = line.startsWith('- ') ? 'del' : line.startsWith('+ ') ? 'ins' : '';
  return kind ? `<span class="${kind}">${escapeHtml(line)}</span>` : escapeHtml(line);
}

function time(date: Date): string {
  return escapeHtml(date.toTimeString().slice(0, 8));
}

/** The results: status line, a table per group, and every cell's details (hidden until clicked). */
export function renderResults(rows: Row[], status: RoundStatus): string {
  const out: string[] = [];
  const state = status.running ? `round ${status.round} running` : `round ${status.round} done`;
  const taken = status.finishedAt ? `, results of ${time(status.finishedAt)}` : '';
  const next = status.nextAt && !status.running ? `, next round at ${time(status.nextAt)}` : '';
  out.push(`<p class="status" data-round="${status.round}" data-running="${status.running}">${state}${taken}${next}</p>`);
  const details: string[] = [];
  for (const group of groupRows(rows)) {
    out.push(`<h2>${escapeHtml(group.title)}</h2>`, '<table>', '<thead><tr><th>student</th><th>server</th><th>progress</th>');
    out.push(...group.checks.map((check) => `<th>${escapeHtml(check)}</th>`), '</tr></thead><tbody>');
    for (const row of group.rows) {
      const index = rows.indexOf(row);
      const { student } = row;
      const server = `${student.target.host.includes(':') ? `[${student.target.host}]` : student.target.host}:${student.target.port}`;
      out.push(`<tr id="row-${index}" class="${allPass(row) ? 'done' : ''}" data-student="${escapeHtml(student.name)}">`);
      out.push(`<th scope="row">${escapeHtml(student.name)}</th><td>${escapeHtml(server)}</td><td class="progress">${escapeHtml(describeProgress(row))}</td>`);
      for (const [k, kind] of row.kinds.entries()) {
        for (const [c, cell] of kind.cells.entries()) {
          const id = `d-${index}-${k}-${c}`;
          out.push(`<td class="v-${cell.verdict}"><button type="button" data-show="${id}">${cell.verdict}</button></td>`);
          const title = `${student.name}, ${kind.kind}, ${cell.check}: ${cell.verdict}`;
          const body = cell.details.length ? cell.details.map(diffLine).join('\n') : 'the exact bytes, at the right time';
          details.push(`<div class="detail" id="${id}" hidden><h3>${escapeHtml(title)}</h3><pre>${body}</pre></div>`);
        }
      }
      out.push('</tr>');
    }
    out.push('</tbody></table>');
  }
  out.push('<section id="details">', ...details, '</section>');
  return out.join('\n');
}

const STYLE = `
body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fff; }
table { border-collapse: collapse; margin-bottom: 1rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.4rem; text-align: left; }
thead th { font-size: 0.85rem; }
tr.done th, tr.done td { background: #d9f2d9; }
td button { font: inherit; border: 0; background: none; cursor: pointer; padding: 0; width: 100%; text-align: left; }
.v-pass button { color: #11661a; } .v-differs button { color: #b00020; font-weight: bold; }
.v-refused button, .v-timeout button { color: #8a5a00; } .v-garbage button { color: #7a1fa2; font-weight: bold; }
pre { background: #f6f6f6; padding: 0.6rem; overflow-x: auto; }
.del { color: #b00020; } .ins { color: #11661a; }
.status { color: #555; }
@media (prefers-color-scheme: dark) {
  body { color: #ddd; background: #161616; } th, td { border-color: #444; }
  tr.done th, tr.done td { background: #1d3b1d; } pre { background: #222; }
  .v-pass button, .ins { color: #7bd17b; } .v-differs button, .del { color: #ff7b7b; }
  .v-refused button, .v-timeout button { color: #e0b050; } .v-garbage button { color: #d59cf0; }
}`;

/**
 * The page's script: a click on a cell shows its details; live, it reloads
 * results.html every 2 s (keeping the open details open) and the button asks
 * for a recheck (POST /recheck).
 */
const SCRIPT = `
const results = document.getElementById('results');
let open = '';
function show(id) {
  for (const d of document.querySelectorAll('.detail')) d.hidden = d.id !== id;
  open = id;
}
results.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-show]');
  if (!button) return;
  show(button.dataset.show);
  document.getElementById(open).scrollIntoView({ block: 'nearest' });
});
if (document.body.dataset.live === 'true') {
  let shown = results.innerHTML;
  const reload = async () => {
    try {
      const response = await fetch('results.html', { cache: 'no-store' });
      if (!response.ok) return;
      const html = await response.text();
      if (html === shown) return;
      shown = html;
      results.innerHTML = html;
      if (open) show(open);
    } catch {}
  };
  reload();
  setInterval(reload, 2000);
  document.getElementById('recheck').addEventListener('click', async () => {
    const said = document.getElementById('asked');
    try {
      const response = await fetch('recheck', { method: 'POST' });
      said.textContent = response.ok ? 'Recheck asked: it starts when the running round (if any) ends.' : 'The recheck was refused.';
    } catch { said.textContent = 'The server did not answer.'; }
  });
}`;

/** The whole page: the results fragment, its style and script. `live`: the --watch page. */
export function renderPage(results: string, live: boolean): string {
  const recheck = live ? '<p><button type="button" id="recheck">Recheck now</button> <span id="asked" role="status"></span></p>' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Class check: npm run class</title>
<style>${STYLE}</style>
</head>
<body data-live="${live}">
<h1>Class check</h1>
<p>Each cell is one golden transcript replayed against a student's server: pass, differs, refused, timeout or garbage. Click a cell for its details and byte diff (CR and LF shown as \\r \\n; <span class="del">- golden</span>, <span class="ins">+ the server</span>). A row turns green when every check passes.</p>
${recheck}
<div id="results">
${results}
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
