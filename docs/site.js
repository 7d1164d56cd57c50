/*
 * The course site's one script: what a page needs JavaScript for. Every page
 * reads without it; these only help a class using the site.
 *   - the theme toggle (dark / light), remembered in localStorage;
 *   - a copy button on every code block (a terminal session copies its
 *     commands only, without the `$ ` prompt or the output: data-copy);
 *   - a hint on every code block that scrolls sideways;
 *   - search over every lesson and guide, section by section, from the index
 *     that `npm run docs` writes (search-index.js, MiniSearch). It is loaded
 *     with <script> tags, so search works from any static server and from a
 *     file:// URL alike, offline.
 * Plain ES2019 with no build step: it is copied into the site as it is.
 */
(function () {
  'use strict';
  var root = document.documentElement;
  var siteRoot = root.getAttribute('data-root') || '';

  // ---------- theme ----------

  var toggle = document.querySelector('.theme-toggle');
  var systemDark = matchMedia('(prefers-color-scheme: dark)');

  function storedTheme() {
    try {
      return localStorage.getItem('theme');
    } catch (e) {
      return null; // storage turned off: the system decides
    }
  }

  function showTheme(theme) {
    root.dataset.theme = theme;
    if (!toggle) return;
    var dark = theme === 'dark';
    // One label, "Dark theme", and its state: a screen reader says "Dark theme, toggle button, pressed".
    toggle.setAttribute('aria-pressed', String(dark));
  }

  showTheme(root.dataset.theme === 'dark' ? 'dark' : 'light');
  if (toggle) {
    toggle.addEventListener('click', function () {
      var theme = root.dataset.theme === 'dark' ? 'light' : 'dark';
      try {
        localStorage.setItem('theme', theme);
      } catch (e) {
        /* not remembered, still applied */
      }
      showTheme(theme);
    });
  }
  // Until the student picks one, follow the system as it changes (a laptop going to night mode).
  systemDark.addEventListener('change', function (event) {
    if (!storedTheme()) showTheme(event.matches ? 'dark' : 'light');
  });

  // ---------- code blocks: copy button, scroll hint ----------

  /**
   * Copies text: the Clipboard API where the page is a secure context
   * (localhost, https), else a hidden textarea and execCommand, which a
   * classroom's http://192.168.x.y:8000 still allows.
   */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand('copy');
      area.remove();
      if (ok) resolve();
      else reject(new Error('copy refused'));
    });
  }

  var blocks = [];
  document.querySelectorAll('main pre').forEach(function (pre) {
    var wrap = document.createElement('div');
    wrap.className = 'pre-wrap';
    pre.parentNode.insertBefore(wrap, pre);
    wrap.appendChild(pre);
    // Keyboard users can scroll a wide block with the arrow keys.
    pre.tabIndex = 0;

    var holder = pre.closest('[data-copy]');
    var commands = holder ? holder.getAttribute('data-copy') : null;
    var label = commands === null ? 'Copy' : commands.indexOf('\n') === -1 ? 'Copy command' : 'Copy commands';
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy';
    button.textContent = label;
    button.title = commands === null ? 'Copy this block' : 'Copy the commands only, without the $ prompt or their output';
    button.addEventListener('click', function () {
      copyText(commands === null ? pre.innerText.replace(/\n$/, '') : commands).then(
        function () {
          button.textContent = 'Copied';
        },
        function () {
          button.textContent = 'Select and copy by hand';
        },
      );
      setTimeout(function () {
        button.textContent = label;
      }, 2000); // long enough to read, short enough to copy the next block
    });
    // Before the code: where there is no hover (a phone) it stands above the block (site.css).
    wrap.insertBefore(button, pre);
    blocks.push({ wrap: wrap, pre: pre });
    pre.addEventListener('scroll', function () {
      markScroll(wrap, pre);
    });
  });

  // A table too wide for the column scrolls in a box of its own, with the same
  // hint as a code block; while it scrolls, the box takes keyboard focus (the
  // arrow keys scroll it) and is a named region, so a screen reader says what it is.
  document.querySelectorAll('main table').forEach(function (table, i) {
    var wrap = document.createElement('div');
    wrap.className = 'table-wrap';
    var scroller = document.createElement('div');
    scroller.className = 'table-scroll';
    table.parentNode.insertBefore(wrap, table);
    wrap.appendChild(scroller);
    scroller.appendChild(table);
    var heading = table.querySelector('th');
    scroller.setAttribute('data-label', 'Table ' + (i + 1) + (heading && heading.textContent.trim() ? ': ' + heading.textContent.trim() : '') + ', scrolls sideways');
    blocks.push({ wrap: wrap, pre: scroller, table: true });
    scroller.addEventListener('scroll', function () {
      markScroll(wrap, scroller);
    });
  });

  /** "scrolls" when the block is wider than its box; "at-end" once scrolled to its right edge. */
  function markScroll(wrap, pre) {
    var scrolls = pre.scrollWidth > pre.clientWidth + 1;
    wrap.classList.toggle('scrolls', scrolls);
    wrap.classList.toggle('at-end', scrolls && pre.scrollLeft + pre.clientWidth >= pre.scrollWidth - 2);
    if (pre.classList.contains('table-scroll')) {
      if (scrolls) {
        pre.tabIndex = 0;
        pre.setAttribute('role', 'region');
        pre.setAttribute('aria-label', pre.getAttribute('data-label'));
      } else {
        pre.removeAttribute('tabindex');
        pre.removeAttribute('role');
        pre.removeAttribute('aria-label');
      }
    }
  }
  function markAll() {
    blocks.forEach(function (block) {
      markScroll(block.wrap, block.pre);
    });
  }
  markAll();
  addEventListener('resize', markAll);
  // Opening a folded solution can show a block that had no width until then.
  document.addEventListener('toggle', markAll, true);

  // ---------- previous / next: the ← and → keys ----------

  // The arrow keys turn the page, as in a slide deck, unless they have a job
  // where the focus is: typing, a block or table that scrolls sideways, a list.
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
    var focus = document.activeElement;
    if (focus && focus.closest('input, textarea, select, pre, .table-wrap, [role="listbox"], [contenteditable]')) return;
    var link = document.querySelector(event.key === 'ArrowLeft' ? '.pager a[rel="prev"]' : '.pager a[rel="next"]');
    if (link) location.href = link.href;
  });

  // ---------- search ----------

  var input = document.getElementById('search-input');
  var panel = document.getElementById('search-results');
  var index = null;
  var loading = null;
  var active = -1;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement('script');
      script.src = siteRoot + src;
      script.onload = resolve;
      script.onerror = function () {
        reject(new Error('could not load ' + src));
      };
      document.head.appendChild(script);
    });
  }

  /** Loads MiniSearch and the index once, the first time the box is used. */
  function loadIndex() {
    if (!loading) {
      loading = loadScript('minisearch.js')
        .then(function () {
          return loadScript('search-index.js');
        })
        .then(function () {
          var data = window.courseSearch;
          // The same stemmer as at build time (scripts/site/search.ts), or no word would match.
          data.options.processTerm = data.stem;
          index = window.MiniSearch.loadJS(data.index, data.options);
          return index;
        });
    }
    return loading;
  }

  function escapeHtml(text) {
    return text.replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  /** About 160 characters of the section around the first word found, each word found marked. */
  function snippet(text, terms) {
    var lower = text.toLowerCase();
    var at = -1;
    terms.forEach(function (term) {
      var i = lower.indexOf(term);
      if (i !== -1 && (at === -1 || i < at)) at = i;
    });
    var start = Math.max(0, at - 60);
    var piece = (start > 0 ? '…' : '') + text.slice(start, start + 160) + (start + 160 < text.length ? '…' : '');
    var html = escapeHtml(piece);
    terms.forEach(function (term) {
      if (term.length < 2) return;
      var pattern = new RegExp('(' + escapeHtml(term).replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + ')', 'gi');
      html = html.replace(pattern, '<mark>$1</mark>');
    });
    return html;
  }

  var list = document.getElementById('search-list');
  var none = panel ? panel.querySelector('.search-none') : null;
  var status = document.getElementById('search-status');

  /** Says what the list holds, through the status region a screen reader announces. */
  function say(text) {
    if (status) status.textContent = text;
  }

  function showMessage(html) {
    list.innerHTML = '';
    none.innerHTML = html;
    none.hidden = false;
    input.removeAttribute('aria-activedescendant');
    openPanel();
  }

  function showResults(query) {
    var results = window.courseSearch.rank(index.search(query, window.courseSearch.query)).slice(0, 12);
    active = results.length ? 0 : -1;
    if (!results.length) {
      showMessage('Nothing found for <strong>' + escapeHtml(query) + '</strong>.');
      say('Nothing found for ' + query + '.');
      return;
    }
    none.hidden = true;
    list.innerHTML = results
      .map(function (result, i) {
        var title = result.name || result.title; // a source file's exported name, or a heading
        var where = title === result.page ? '' : '<span class="r-page">' + escapeHtml(result.page) + '</span>';
        return (
          '<a role="option" id="search-option-' + i + '" aria-selected="' + (i === 0) + '" href="' + escapeHtml(siteRoot + result.id) + '"' +
          (i === 0 ? ' class="active"' : '') + ' tabindex="-1">' +
          '<span class="r-title">' + escapeHtml(title) + '</span>' + where +
          '<span class="r-text">' + snippet(result.text, result.terms) + '</span></a>'
        );
      })
      .join('');
    input.setAttribute('aria-activedescendant', 'search-option-0');
    say(results.length + (results.length === 1 ? ' result' : ' results') + ' for ' + query + ': up and down arrows to choose, Enter to open.');
    openPanel();
  }

  function openPanel() {
    panel.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  }
  function closePanel() {
    panel.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }

  function links() {
    return list.querySelectorAll('a');
  }
  function setActive(i) {
    var all = links();
    if (!all.length) return;
    active = (i + all.length) % all.length;
    all.forEach(function (link, j) {
      link.classList.toggle('active', j === active);
      link.setAttribute('aria-selected', String(j === active));
    });
    input.setAttribute('aria-activedescendant', all[active].id);
    all[active].scrollIntoView({ block: 'nearest' });
  }

  if (input && panel) {
    input.addEventListener('focus', function () {
      loadIndex().catch(function () {});
      if (input.value.trim() && (list.children.length || !none.hidden)) openPanel();
    });
    input.addEventListener('input', function () {
      var query = input.value.trim();
      if (!query) {
        closePanel();
        return;
      }
      loadIndex().then(
        function () {
          if (input.value.trim() === query) showResults(query);
        },
        function () {
          showMessage('The search index is missing: run <code>npm run docs</code>.');
          say('The search index is missing.');
        },
      );
    });
    input.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        setActive(active + (event.key === 'ArrowDown' ? 1 : -1));
      } else if (event.key === 'Enter') {
        var link = links()[active];
        if (link) link.click();
      } else if (event.key === 'Escape') {
        closePanel();
      }
    });
    // A result on this same page only changes the hash: close the list and leave the section in view.
    panel.addEventListener('click', function (event) {
      if (event.target.closest('a')) closePanel();
    });
    document.addEventListener('click', function (event) {
      if (!event.target.closest('.search')) closePanel();
    });
    // "/" jumps to the search box, as on many documentation sites, unless the student is typing.
    document.addEventListener('keydown', function (event) {
      var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
      if (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        input.focus();
      }
    });
  }
})();
