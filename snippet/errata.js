/*! Errata 0.1.0, MIT. Select an error on the page, press Ctrl+Enter. */
// Source of static/js/errata.js (built by snippet/build.py; see docs/snippet.md).
// The part every page view pays for. At load it reads its data-* options, fills the optional
// hint and adds two listeners, keydown and a passive pointerdown (plus selectionchange on
// touch screens): no network, no other DOM changes. The dialog, errata-dialog.js next to the
// served file, comes on first use. ES2017 syntax only, so older browsers parse this file and
// quietly stop; the dialog file may use anything the engines that pass the check below have.
(() => {
  'use strict';
  const w = window, d = document, s = d.currentScript;
  // Loaded twice, inlined without src, or an engine without constructed stylesheets (which
  // also means no usable <dialog>): a silent no-op.
  if (w.Errata || !s || !s.src || !d.adoptedStyleSheets) return;
  const o = s.dataset;
  // The only strings needed before the dialog loads: [lead, keyboard, touch], in every
  // language (snippet/build.py puts in the catalogs' translations).
  const STRINGS = L10N([
    "Noticed an error? Select it and ", "press Ctrl+Enter", "tap “Report an error”"
  ]);
  // The reader's language: the site owner's override, the page's, the site's default (on the
  // embed line), the browser's, English: the first one there is a dialog for.
  const lang = [o.lang, d.documentElement.lang, o.defaultLang, navigator.language, 'en']
    .map((l) => (l || '').toLowerCase().split('-')[0]).find((l) => STRINGS[l]);
  const hint = STRINGS[lang];
  // Phones and tablets have no Ctrl+Enter: a button appears by a resting selection instead.
  const touch = matchMedia('(pointer:coarse)').matches;
  const mac = /Mac|iP/.test(navigator.platform);
  // The page's own fields keep their shortcuts. 'form' in e: input, textarea, select, button.
  const editable = (e) => e && (e.isContentEditable || 'form' in e);
  // The selection as a detached Range, which survives the dialog taking focus.
  // null: nothing selected; 0: selected outside data-root (left alone).
  const pick = () => {
    const g = d.getSelection(), r = g.rangeCount && g.getRangeAt(0);
    const root = o.root ? d.querySelector(o.root) : d.body;
    if (!r || !String(g).trim()) return null;
    return root && root.contains(r.commonAncestorContainer) && !editable(d.activeElement)
      ? r.cloneRange() : 0;
  };
  let ui, timer, last;
  // The dialog script is fetched once, from this script's folder, with data-nonce for a
  // nonce-based CSP; it defines Errata.ui.
  const go = (range, what) => (ui = ui || new Promise((done) => {
    const e = d.createElement('script');
    e.src = new URL(`errata-dialog.${lang}.js`, s.src);
    e.nonce = o.nonce || '';
    e.onload = () => done(E.ui(s, lang));
    d.head.append(e);
  })).then((u) => u[what || 'open'](range));
  const E = w.Errata = {
    version: '0.1.0',
    // For a visible "Report an error" button: its click has already collapsed the
    // selection, so the one seen when the pointer went down is used.
    open: () => go(pick() || last || null),
  };
  d.addEventListener('pointerdown', () => { last = pick(); }, { passive: true, capture: true });
  // On window, so it runs after the page's own handlers: defaultPrevented means "theirs".
  // Our own <errata-ui> (e.target, retargeted) is not one of the page's fields: the open
  // dialog handles its Ctrl+Enter itself, and a just-closed one may keep focus for a task.
  w.addEventListener('keydown', (e) => {
    let r;
    if ((e.ctrlKey || e.metaKey) && e.key == 'Enter' && !e.defaultPrevented && !e.isComposing &&
        (e.target.localName == 'errata-ui' || !editable(e.composedPath()[0])) &&
        (r = pick()) !== 0) {
      e.preventDefault();
      go(r);
    }
  });
  // selectionchange fires on every handle drag: act once the selection rests.
  if (touch) {
    d.addEventListener('selectionchange', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const r = pick();
        if (r || ui) go(r, 'button');
      }, 500);
    });
  }
  const showHint = () => o.hint && d.querySelectorAll(o.hint).forEach((e) => {
    e.textContent = hint[0] + (touch ? hint[2] : mac ? hint[1].replace('Ctrl', '⌘') : hint[1]);
  });
  if (d.readyState == 'loading') d.addEventListener('DOMContentLoaded', showHint);
  else showHint();
  // Reports kept while offline or while the server was down go out now.
  try {
    if (localStorage['errata:q']) go(0, 'flush');
  } catch (e) { /* storage blocked: nothing was kept either */ }
})();
