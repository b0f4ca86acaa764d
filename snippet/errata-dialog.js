/*! Errata 0.1.0 dialog, MIT. */
// Source of static/js/errata-dialog.js (built by snippet/build.py; see docs/snippet.md).
// Fetched by errata.js on first use: capture, the dialog, sending, the offline queue and the
// touch button. Everything lives in one open shadow root, so page CSS can't reach in.
(() => {
  'use strict';
  const w = window, d = document;
  const QUEUE = 'errata:q', BLOCK = '\u2029', MAX_EXACT = 500, CONTEXT = 64, WEEK = 6048e5;
  // The server takes a report sent sooner than this after the dialog opened for a bot's, and
  // drops it in silence; ERRATA_MIN_ELAPSED_MS may lower its threshold, never raise it.
  const MIN_ELAPSED = 800;
  // Themeable through --errata-* custom properties, which inherit into the shadow root.
  // System colours (Canvas, LinkText) follow prefers-color-scheme through color-scheme.
  // There is no animation, so prefers-reduced-motion has nothing to turn off.
  const CSS = `:host{all:initial!important}
*{box-sizing:border-box;font:inherit;color:inherit}
dialog,div,#b{--a:var(--errata-accent,LinkText);color-scheme:light dark;font:var(--errata-font,16px/1.5 system-ui,sans-serif)}
dialog{background:var(--errata-bg,Canvas);color:var(--errata-fg,CanvasText);border:0;border-radius:9px;width:min(34em,100vw - 1em)}
::backdrop{background:#0007}
h2{margin:0;font-size:1.3em;font-weight:700}
#q{padding:.5em;border-left:4px solid var(--a);background:#8882}
mark{background:var(--errata-mark,#fd5);color:#000}
label{display:block;margin:.5em 0}
textarea,select,[type=email]{display:block;width:100%;min-height:44px}
button{min-height:44px;margin-left:.5em;padding:0 1em;border:2px solid var(--a);border-radius:6px;background:none;color:var(--a);font-weight:700}
#g,#b{background:var(--a);color:Canvas}
.b{text-align:end}
div,#b{position:fixed;z-index:2147483647}
div{bottom:1em;left:1em;padding:1em;background:#222;color:#fff}
div:empty{display:none}`;

  const isSpace = (c) => /\s/.test(c || 'x');
  // Cuts by UTF-16 index may fall inside a surrogate pair (emoji, astral CJK): the broken
  // half is dropped, since a lone surrogate is text no server can store.
  const whole = (s) => s.replace(/^[\udc00-\udfff]|[\ud800-\udbff]$/g, '');

  // The selection in the range R as a reader sees it, with up to CONTEXT characters each side.
  // Hidden elements, scripts, styles and form fields are skipped; <br> and runs of whitespace
  // become one space; block boundaries become BLOCK so the context never crosses into another
  // paragraph. start/end are offsets in that text of the whole root.
  const capture = (R, root) => {
    const sc = R.startContainer, ec = R.endContainer;
    let raw = '', A = -1, B = -1;
    const walk = (el) => {
      for (let x = el.firstChild; x; x = x.nextSibling) {
        if (x.nodeType == 3) {
          // A Range starts inside a text node or between nodes: any other text node lies
          // wholly before or after it.
          if (A < 0 && (x == sc || R.comparePoint(x, 0) >= 0)) A = raw.length + (x == sc && R.startOffset);
          if (B < 0 && (x == ec || R.comparePoint(x, 0) > 0)) B = raw.length + (x == ec && R.endOffset);
          raw += x.data;
        } else if (x.nodeType == 1 && !/^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE|TEXTAREA|SELECT|IFRAME|OBJECT)$/.test(x.tagName) &&
            x.getAttribute('aria-hidden') != 'true') {
          const display = getComputedStyle(x).display;
          const sep = /^(inline|contents|ruby)/.test(display) ? '' : BLOCK;
          if (x.tagName == 'BR') raw += ' ';
          else if (display != 'none') {
            raw += sep;
            walk(x);
            raw += sep;
          }
        }
      }
    };
    walk(root);
    // Collapse whitespace, mapping the raw offsets A, B to a, b in the collapsed text n.
    let n = '', a = 0, b = 0, i;
    for (i = 0; i <= raw.length; i++) {
      if (i == A || (A < 0 && i == raw.length)) a = n.length;
      if (i == B || (B < 0 && i == raw.length)) b = n.length;
      const c = raw[i];
      if (!isSpace(c)) n += c || '';
      else if (c == BLOCK) { if (n) n = n.replace(/ $/, '') + (n.endsWith(BLOCK) ? '' : BLOCK); }
      else if (n && !isSpace(n.slice(-1))) n += ' ';
    }
    while (a < b && isSpace(n[a])) a++;
    while (b > a && isSpace(n[b - 1])) b--;
    // Too long: the first part, cut at a space when there is one.
    const long = b - a > MAX_EXACT;
    if (long) {
      i = n.lastIndexOf(' ', a + MAX_EXACT);
      b = i > a ? i : a + MAX_EXACT;
      if (/[\ud800-\udbff]/.test(n[b - 1])) b--;
    }
    let prefix = n.slice(0, a).split(BLOCK).pop();
    let suffix = n.slice(b).split(BLOCK)[0];
    // Word boundaries: take one character more, then drop the partial word at the far end.
    // The near end keeps its one space, which tells the server the quote starts a word.
    if (prefix.length > CONTEXT) prefix = whole(prefix.slice(-CONTEXT - 1)).replace(/^\S*\s/, '');
    if (suffix.length > CONTEXT) suffix = whole(suffix.slice(0, CONTEXT + 1)).replace(/\s\S*$/, '');
    return { exact: n.slice(a, b).split(BLOCK).join(' '), prefix, suffix, start: a, end: b, long };
  };

  const getQueue = () => {
    try { return JSON.parse(localStorage[QUEUE]) || []; } catch (e) { return []; }
  };
  const putQueue = (a) => {
    try {
      if (a[0]) localStorage[QUEUE] = JSON.stringify(a.slice(-5));
      else localStorage.removeItem(QUEUE);
    } catch (e) { /* private mode or full: the report is lost, as without a queue */ }
  };
  const retryAfter = (res) => res && res.headers.get('Retry-After') * 1e3;

  Errata.ui = (script, lang) => {
    const o = script.dataset;
    // The reader's strings, written once here in English; snippet/build.py puts in one
    // language's translations from translations/<lang>/LC_MESSAGES/snippet.po.
    const t = L10N({
      "t": "Report an error", "f": "Correct text", "k": "Error type", "typo": "Typo",
      "fact": "Fact", "other": "Other", "c": "Comment (optional)",
      "e": "Your email, to hear about the fix (optional)", "s": "Send", "x": "Cancel",
      "z": "Close", "i": "Sending…", "ok": "Thank you! The editors will check it.",
      "q": "No connection: your report is saved and will be sent later.",
      "r": "Too many reports. Try again in {n} min.",
      "l": "Too long: only the first 500 characters will be sent.",
      "h": "Select the text with the error first."
    }, lang);
    let host, sr, dlg, tip, touchButton, saved, data, openedAt, previous, timer, listening, tries = 0;

    // A string body goes as text/plain;charset=UTF-8: a "simple" request, no preflight.
    const post = (body) => fetch(o.endpoint || new URL('/api/v1/reports', script.src), {
      method: 'POST', body: JSON.stringify(body), credentials: 'omit', keepalive: true,
      signal: AbortSignal.timeout && AbortSignal.timeout(15e3),
    });
    const later = (ms) => {
      listening = listening || !w.addEventListener('online', flush);
      clearTimeout(timer);
      timer = setTimeout(flush, ms || Math.min(36e5, 15e3 * 2 ** tries++));
    };
    // Kept reports (5 at most, for a week) are taken out, sent, and the failures put back,
    // so another tab can't send one twice. Sent on load, when online, and with backoff.
    const flush = async () => {
      const kept = getQueue(), back = [];
      let ms;
      putQueue([]);
      for (const x of kept) {
        if (Date.now() - x.id > WEEK) continue;
        let res = 0;
        try { res = await post(x.b); } catch (e) { /* still offline */ }
        if (!res || res.status > 499 || res.status == 429) {
          back.push(x);
          ms = retryAfter(res);
        }
      }
      if (back[0]) {
        putQueue(getQueue().concat(back));
        later(ms);
      }
    };

    const build = () => {
      if (host) return;
      host = d.createElement('errata-ui');
      sr = host.attachShadow({ mode: 'open' });
      sr.innerHTML = `<div role=status></div><button id=b hidden>${t.t}</button>`;
      // Constructed sheets are not inline styles: a strict style-src does not block them.
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      sr.adoptedStyleSheets = [sheet];
      [tip, touchButton] = sr.children;
      touchButton.onclick = () => open(saved);
      d.body.append(host);
    };

    const open = (range) => {
      build();
      if (dlg && dlg.open) return;
      touchButton.hidden = true;
      const root = o.root ? d.querySelector(o.root) : d.body;
      const c = range && root && capture(range, root);
      if (!c || !c.exact) {
        // Filled after a tick, so screen readers announce the live region's new text.
        tip.textContent = '';
        setTimeout(() => { tip.textContent = t.h; }, 50);
        setTimeout(() => { tip.textContent = ''; }, 4e3);
        return;
      }
      const canonical = d.querySelector('link[rel=canonical]');
      data = {
        site: o.site, url: location.href.split('#')[0], canonical: canonical && canonical.href,
        title: d.title, lang: d.documentElement.lang || lang, exact: c.exact, prefix: c.prefix,
        suffix: c.suffix, start: c.start, end: c.end,
      };
      // A fresh dialog each time: nothing to reset. Only our own strings go through innerHTML;
      // the page's text is set with textContent.
      if (dlg) dlg.remove();
      dlg = d.createElement('dialog');
      dlg.setAttribute('aria-labelledby', 'h');
      dlg.innerHTML = `<form><h2 id=h>${t.t}</h2><p id=q><span></span><mark></mark><span></span><p id=l${c.long ? '' : ' hidden'}>${t.l}</p><label>${t.f}<textarea name=suggestion rows=2 maxlength=500 autofocus></textarea></label><label>${t.k}<select name=kind>${['typo', 'fact', 'other'].map((k) => `<option value=${k}>${t[k]}`).join('')}</select></label><label>${t.c}<textarea name=comment rows=2 maxlength=2000></textarea></label><label>${t.e}<input type=email name=email autocomplete=email></label><input name=hp hidden><p id=m role=status></p><p class=b><button type=button id=x>${t.x}</button><button id=g>${t.s}</button></form>`;
      sr.append(dlg);
      const F = dlg.firstChild, $ = (id) => sr.getElementById(id);
      const say = (m) => { $('m').textContent = m; };
      const [before, mark, after] = $('q').children;
      before.textContent = c.prefix && '…' + c.prefix;
      mark.textContent = c.exact;
      after.textContent = c.suffix && c.suffix + '…';
      F.suggestion.value = c.exact;
      $('x').onclick = () => dlg.close();
      dlg.onkeydown = (e) => {
        if ((e.ctrlKey || e.metaKey) && e.key == 'Enter') {
          e.preventDefault();
          F.requestSubmit();
        }
      };
      // Focus goes back where it was (showModal moved it in; Tab stays inside while open).
      dlg.onclose = () => previous && previous.focus && previous.focus({ preventScroll: true });
      F.onsubmit = async (e) => {
        e.preventDefault();
        const send = $('g'), cancel = $('x');
        if (send.disabled) return;
        const body = {
          ...data, kind: F.kind.value, suggestion: F.suggestion.value, comment: F.comment.value,
          notify: !!F.email.value, email: F.email.value, hp: F.hp.value,
          client: 'errata.js/0.1.0',
        };
        const done = (m) => {
          say(m);
          send.hidden = true;
          cancel.textContent = t.z;
          cancel.focus();
        };
        send.disabled = true;
        say(t.i);
        // A quick Ctrl+Enter twice: wait out the rest of the minimum, showing "Sending…".
        await new Promise((ok) => setTimeout(ok, openedAt + MIN_ELAPSED - Date.now()));
        body.elapsed_ms = Date.now() - openedAt;
        let res = 0, j = {};
        try {
          res = await post(body);
          j = await res.json().catch(() => j);
        } catch (err) { /* offline, refused, timed out */ }
        if (res && res.ok) done(t.ok);
        else if (!res || res.status > 499) {
          // Network error or 5xx: kept on this device and sent later.
          putQueue(getQueue().concat({ id: Date.now(), b: body }));
          later(retryAfter(res));
          done(t.q);
        } else {
          // 4xx: the reader's text stays; 429 re-enables Send after Retry-After.
          say(res.status == 429
            ? t.r.replace('{n}', Math.ceil(retryAfter(res) / 6e4) || 1)
            : (t[j.error] || j.message) +
              (j.fields ? ' ' + Object.entries(j.fields).map((f) => f.join(' ')).join('; ') : ''));
          setTimeout(() => { send.disabled = false; }, retryAfter(res));
        }
      };
      previous = d.activeElement;
      openedAt = Date.now();
      dlg.showModal();
    };

    // Touch: under the resting selection, clear of the handles and of the copy menu above it.
    const place = () => {
      if (touchButton.hidden) return;
      const rects = saved.getClientRects(), q = rects[rects.length - 1];
      touchButton.style.top = Math.min(q.bottom + 36, innerHeight - touchButton.offsetHeight - 8) + 'px';
      touchButton.style.left = Math.max(8, Math.min(q.right - touchButton.offsetWidth / 2,
        innerWidth - touchButton.offsetWidth - 8)) + 'px';
    };
    const button = (range) => {
      build();
      saved = range || saved;
      touchButton.hidden = !range || (dlg && dlg.open);
      place();
      w.addEventListener('scroll', place, { passive: true });
    };

    return { open, flush, button };
  };
})();
