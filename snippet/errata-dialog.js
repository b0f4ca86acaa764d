/*! Errata 0.1.0, MIT */
// Source of static/js/errata-dialog.js (built by snippet/build.py; see docs/snippet.md).
// Fetched by errata.js (as a module, once a reader starts selecting, or on first use):
// capture, the dialog, sending, the offline queue, the toasts and the button. Everything
// lives in one open shadow root, so page CSS can't reach in. The legacy errata-dialog.js,
// for loaders cached before the per-language split, is this file with every language.
(() => {
  const w = window, d = document;
  const QUEUE = 'errata:q', BLOCK = '\u2029', MAX_EXACT = 500, CONTEXT = 64, WEEK = 6048e5;
  // The server takes a report sent sooner than this after the dialog opened for a bot's, and
  // drops it in silence; ERRATA_MIN_ELAPSED_MS may lower its threshold, never raise it.
  const MIN_ELAPSED = 800;
  // Whether the last capture was cut to MAX_EXACT characters (said in the dialog, not sent).
  let long;
  // Themeable through --errata-* custom properties, which inherit into the shadow root.
  // System colours (Canvas, LinkText) follow prefers-color-scheme through color-scheme.
  // There is no animation, so prefers-reduced-motion has nothing to turn off.
  const CSS = ':host{all:initial!important}'
    + '*{box-sizing:border-box;font:inherit}'
    + ':host>*{--a:var(--errata-accent,LinkText);color-scheme:light dark;font:var(--errata-font,16px/1.5 system-ui)}'
    + 'dialog{background:var(--errata-bg,Canvas);color:var(--errata-fg,CanvasText);border:0;border-radius:9px;width:min(34em,100vw - 1em)}'
    + 'h2{margin:0;font-size:1.3em}h2,button{font-weight:700}'
    + '#q{padding:.5em;border-left:4px solid var(--a);background:#8882}'
    + 'mark{background:var(--errata-mark,#fd5);color:#000}'
    + 'label{display:block;margin:.5em 0}'
    + 'label>*{display:block;width:100%;min-height:44px}'
    + 'button{min-height:44px;margin-left:.5em;padding:0 1em;border:2px solid var(--a);border-radius:6px;background:none;color:var(--a)}'
    + '#g,#b{background:var(--a);color:Canvas}'
    + '.b{text-align:end}'
    + '#b{position:fixed;z-index:2147483647;inset:auto 1em 1em auto}'
    + '[popover]{padding:1em;max-width:30em}';

  // Cuts by UTF-16 index may fall inside a surrogate pair (emoji, astral CJK): the broken
  // half is dropped, since a lone surrogate is text no server can store.
  const whole = (s) => s.replace(/^[\udc00-\udfff]|[\ud800-\udbff]$/g, '');

  // The selection in the range R as a reader sees it, with up to CONTEXT characters each side.
  // Hidden elements, scripts, styles and form fields are skipped; <br> and runs of whitespace
  // become one space; block boundaries become BLOCK so the context never crosses into another
  // paragraph. start/end are offsets in that text of the whole root.
  const capture = (R, root) => {
    const sc = R.startContainer, ec = R.endContainer;
    let raw = '', A = 1e9, B = 1e9, N = R.commonAncestorContainer;
    // Styles are read only near the selection: in the nearest block holding it (where the
    // quote and its context come from) and its ancestors. Elsewhere in the root, the markup
    // says what is hidden, and elements count as inline: text is only counted there, for
    // start/end. Between blocks there is almost always whitespace, which counts as the one
    // character a block boundary would.
    while (N != root && (N.nodeType != 1 || /^(inline|contents|ruby)/.test(getComputedStyle(N).display))) {
      N = N.parentNode;
    }
    const walk = (el) => {
      for (let x = el.firstChild; x; x = x.nextSibling) {
        if (x.nodeType == 3) {
          // A Range starts inside a text node or between nodes: any other text node lies
          // wholly before or after it.
          if (A > raw.length && (x == sc || R.comparePoint(x, 0) >= 0)) A = raw.length + (x == sc && R.startOffset);
          if (B > raw.length && (x == ec || R.comparePoint(x, 0) > 0)) B = raw.length + (x == ec && R.endOffset);
          raw += x.data.replace(/[\0\x01]/g, '\ufffd'); // the marks below are ours alone
        } else if (x.nodeType == 1 &&
            !x.matches('script,style,noscript,template,textarea,select,iframe,object,[aria-hidden=true]')) {
          const display = x.contains(N) || N.contains(x) ? getComputedStyle(x).display
            : x.hidden ? 'none' : 'inline';
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
    // The selection's ends as two marks in the raw text: U+0000 and U+0001, whose copies in
    // the page's own text (a script may put them there) became U+FFFD above, offsets kept. A
    // lone surrogate mark was found in half of a Gothic letter. The marks are moved
    // off whitespace (the start forward, the end back); then every run of whitespace becomes
    // one space, or BLOCK when it holds a block boundary, and none at the start. Where the
    // marks end up are a and b, offsets in that collapsed text n.
    let n = (raw.slice(0, A) + '\0' + raw.slice(A, B) + '\x01' + raw.slice(B))
      .replace(/\0(\s*)/, '$1\0').replace(/(\s*)\x01/, '\x01$1')
      .replace(/\s+/g, (s, i) => i ? s.includes(BLOCK) ? BLOCK : ' ' : '');
    let a = n.indexOf('\0'), b = n.indexOf('\x01') - 1, i;
    n = n.replace(/[\0\x01]/g, '');
    // Too long: the first part, cut at a space when there is one.
    long = b - a > MAX_EXACT;
    if (long) {
      i = n.lastIndexOf(' ', a + MAX_EXACT);
      b = i > a ? i : a + MAX_EXACT;
      if (/[\ud800-\udbff]/.test(n[b - 1])) b--;
    }
    // The context, in the same block: up to CONTEXT + 1 characters, then the partial word at
    // the far end is dropped. A space added at that end first is all that goes when the
    // block's text is shorter. The near end keeps its one space, which tells the server the
    // quote starts or ends a word.
    return {
      exact: n.slice(a, b).replaceAll(BLOCK, ' '),
      prefix: whole((' ' + n.slice(0, a).split(BLOCK).pop()).slice(-CONTEXT - 1)).replace(/^\S*\s/, ''),
      suffix: whole((n.slice(b).split(BLOCK)[0] + ' ').slice(0, CONTEXT + 1)).replace(/\s\S*$/, ''),
      start: a, end: b,
    };
  };

  const getQueue = () => {
    try { return JSON.parse(localStorage[QUEUE]) || []; } catch { return []; }
  };
  const putQueue = (a) => {
    try {
      if (a[0]) localStorage[QUEUE] = JSON.stringify(a.slice(-5));
      else localStorage.removeItem(QUEUE);
    } catch { /* private mode or full: the report is lost, as without a queue */ }
  };
  const retryAfter = (res) => res && res.headers.get('Retry-After') * 1e3;

  // Called by errata.js once this file has loaded, with its script element, the reader's
  // language, its pick() (the selection as a detached Range, or null), whether the screen is
  // a touch screen, and its toast(message, parent). Last release's loader called
  // Errata.ui(script, lang): the legacy errata-dialog.js carries snippet/legacy.js, which
  // passes the rest.
  Errata.ui = (script, lang, pick, touch, toast) => {
    const o = script.dataset, corner = 'button' in o;
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
      "h": "Select the error first: with the mouse, with a finger (touch and hold), or with F7 and Shift+arrows.",
      "o": "Select the error in the article text.",
      "n": "Could not send (error {n}). Please try again later."
    }, lang);
    let host, sr, dlg, touchButton, saved, data, openedAt, timer, rest, tries = 0;

    // A string body goes as text/plain;charset=UTF-8: a "simple" request, no preflight.
    const post = (body) => fetch(o.endpoint || new URL('/api/v1/reports', script.src), {
      method: 'POST', body: JSON.stringify(body), credentials: 'omit', keepalive: true,
      signal: AbortSignal.timeout(15e3),
    });
    const later = (ms) => {
      // Adding the same listener again does nothing.
      w.addEventListener('online', flush);
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
        try { res = await post(x.b); } catch { /* still offline */ }
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

    // Elements are built with the DOM, never from markup, so a Trusted Types CSP
    // (require-trusted-types-for 'script') has nothing to object to.
    const h = (tag, props, ...kids) => {
      const e = Object.assign(d.createElement(tag), props);
      e.append(...kids);
      return e;
    };
    const build = () => {
      if (host) return;
      host = d.createElement('errata-ui');
      sr = host.attachShadow({ mode: 'open' });
      // One button: by the resting selection on touch screens, else (data-button) in the
      // corner, where Tab reaches it. It acts as Errata.open() does: Tab, a tap or a click
      // may have cleared the selection by then, and the loader uses the last one it saw.
      sr.append(touchButton = h('button', { id: 'b', hidden: !corner, textContent: t.t,
        onclick: Errata.open }));
      // Constructed sheets are not inline styles: a strict style-src does not block them.
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      sr.adoptedStyleSheets = [sheet];
      d.body.append(host);
      // The on-screen keyboard shrinks the visual viewport only: the open dialog is kept
      // inside what is still visible, and scrolls within.
      visualViewport.addEventListener('resize', fit);
    };
    const fit = () => {
      const v = visualViewport, k = v.height < innerHeight - 1;
      if (dlg) {
        dlg.style.marginTop = k ? v.offsetTop + 4 + 'px' : '';
        dlg.style.maxHeight = k ? v.height - 8 + 'px' : '';
        // The field being typed in stays in sight.
        sr.activeElement?.scrollIntoView({ block: 'nearest' });
      }
    };

    const open = (range) => {
      build();
      if (dlg?.open) return;
      touchButton.hidden = !corner;
      const root = o.root ? d.querySelector(o.root) : d.body;
      if (range && !(root && root.contains(range.commonAncestorContainer))) return toast(t.o, sr);
      const c = range && capture(range, root);
      // The kept draft (closed with Esc or Cancel, or after a 429) comes back when there is
      // no new selection, or the same one.
      if (dlg && !dlg.sent && (!c || c.start == data.start && c.end == data.end)) return show();
      if (!c || !c.exact) return toast(t.h, sr);
      const canonical = d.querySelector('link[rel=canonical]');
      data = {
        ...c, site: o.site, url: location.href.split('#')[0], canonical: canonical?.href,
        title: d.title, lang: d.documentElement.lang || lang,
      };
      if (dlg) dlg.remove();
      let m, x, g;
      const F = h('form', 0,
        h('h2', { id: 'h', textContent: t.t }),
        h('p', { id: 'q' }, c.prefix && '…' + c.prefix, h('mark', { textContent: c.exact }),
          c.suffix && c.suffix + '…'),
        h('p', { hidden: !long, textContent: t.l }),
        h('label', 0, t.f, h('textarea', { name: 'suggestion', rows: 2, maxLength: 500, value: c.exact })),
        h('label', 0, t.k, h('select', { name: 'kind' },
          ...['typo', 'fact', 'other'].map((k) => new Option(t[k], k)))),
        h('label', 0, t.c, h('textarea', { name: 'comment', rows: 2, maxLength: 2e3 })),
        h('label', 0, t.e, h('input', { type: 'email', name: 'email', autocomplete: 'email' })),
        h('input', { name: 'hp', hidden: 1 }),
        m = h('output', { id: 'm' }),
        h('p', { className: 'b' },
          x = h('button', { type: 'button', id: 'x', textContent: t.x, onclick: () => dlg.close() }),
          g = h('button', { id: 'g', textContent: t.s })));
      dlg = h('dialog', {
        // Ctrl/⌘+Enter sends, while open, as a click on Send (nothing while it is disabled):
        // after closing, focus may stay on the closed dialog's button for a moment, and that
        // key then reopens the draft instead. (A replaced dialog is out of the DOM: dlg is
        // this one whenever its keys arrive.) On closing, the browser itself puts focus back
        // where it was before showModal(), without scrolling (HTML's dialog closing steps).
        onkeydown: (e) => {
          if (dlg.open && (e.ctrlKey || e.metaKey) && e.key == 'Enter') {
            e.preventDefault();
            g.click();
          }
        },
      }, F);
      dlg.setAttribute('aria-labelledby', 'h');
      sr.append(dlg);
      const say = (text) => { m.textContent = text; };
      F.onsubmit = async (e) => {
        e.preventDefault();
        // The form's named fields: suggestion, kind, comment, email and hp.
        const body = {
          ...data, ...Object.fromEntries(new FormData(F)), notify: !!F.email.value,
          client: 'errata.js/0.1.0',
        };
        // Sent or kept: the form gives way to the message alone (in the same live region, so
        // it is announced) and a Close button; the draft is gone; it closes by itself.
        const done = (text) => {
          const sent = dlg;
          F.replaceChildren(F.firstChild, m, x);
          x.textContent = t.z;
          x.focus();
          say(text);
          sent.sent = 1;
          setTimeout(() => sent.close(), 6e3);
        };
        g.disabled = true;
        say(t.i);
        // A quick Ctrl+Enter twice: wait out the rest of the minimum, showing "Sending…".
        await new Promise((ok) => setTimeout(ok, openedAt + MIN_ELAPSED - Date.now()));
        body.elapsed_ms = Date.now() - openedAt;
        let res = 0, j = 0;
        try {
          res = await post(body);
          // A firewall's or a proxy's own error page is HTML, not our JSON.
          j = await res.json().catch(() => j);
        } catch { /* offline, refused, timed out */ }
        if (res?.ok) done(t.ok);
        else if (!res || res.status > 499) {
          // Network error or 5xx: kept on this device and sent later.
          putQueue(getQueue().concat({ id: Date.now(), b: body }));
          later(retryAfter(res));
          done(t.q);
        } else {
          // 4xx: the reader's text stays; 429 re-enables Send after Retry-After. Fields the
          // reader can fix are named by their own labels, so in the dialog's language.
          const bad = Object.keys(j.fields || {}).filter((f) => F[f]?.labels);
          say(res.status == 429
            ? t.r.replace('{n}', Math.ceil(retryAfter(res) / 6e4) || 1)
            : j.message
              ? j.message + bad.map((f) => ' ' + F[f].labels[0].firstChild.data).join(';')
              : t.n.replace('{n}', res.status));
          bad.forEach((f) => F[f].setAttribute('aria-invalid', true));
          setTimeout(() => { g.disabled = false; }, retryAfter(res));
        }
      };
      show();
    };
    const show = () => {
      openedAt = Date.now();
      dlg.showModal();
      fit();
    };

    // Touch: under the resting selection, clear of the handles (about 24 px under the text)
    // and of the copy menu, which Android and iOS put above the selection; above the menu
    // when there is no room below; back in its corner (or hidden) when the range has no box.
    const place = () => {
      const r = saved && saved.getBoundingClientRect();
      let y = r && r.bottom + 36;
      if (y > innerHeight - 52) y = r.top - 144;
      touchButton.style.inset = r && r.height && y > 8 ? `${y}px auto auto ${Math.max(8,
        Math.min(r.right - 60, innerWidth - touchButton.offsetWidth - 8))}px` : '';
    };
    const button = (range) => {
      build();
      saved = range;
      touchButton.hidden = !(range || corner) || dlg?.open;
      place();
      w.addEventListener('scroll', place, { passive: true });
    };
    // On touch screens the button comes by the selection once it rests (selectionchange
    // fires on every handle drag), and by the one already there when this file arrives.
    const check = () => {
      clearTimeout(rest);
      rest = setTimeout(() => button(pick()), 500);
    };
    if (touch) {
      d.addEventListener('selectionchange', check);
      check();
    }
    if (corner) build();

    // open(range) and flush() for errata.js; button(range) for last release's loader, which
    // calls it on touch screens itself.
    return { open, flush, button };
  };
})();
