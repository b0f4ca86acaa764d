/*! Errata 0.1.0, MIT */
// Source of static/js/errata.js (built by snippet/build.py; see docs/snippet.md).
// The part every page view pays for. At load it reads its data-* options, fills the hint
// elements that are empty and adds two listeners, keydown and selectionchange (with
// data-button, also one-shot pointermove, keydown and scroll ones): no network, no other DOM
// changes. The dialog, errata-dialog.<lang>.js next to the served file, is fetched once a
// reader starts selecting text, at the first interaction with data-button, and on first use
// if that failed. Plain ES2017 but for import(): engines too old for it (all of which lack
// constructed stylesheets too) stop at a syntax error and do nothing; the dialog file may use
// anything the engines that pass the check below have.
(() => {
  const w = window, d = document, s = d.currentScript;
  // Loaded twice, inlined without src, or an engine without constructed stylesheets (which
  // also means no usable <dialog>): a silent no-op.
  if (w.Errata || !s || !s.src || !d.adoptedStyleSheets) return;
  const o = s.dataset;
  // The only strings needed before the dialog loads, in every language (snippet/build.py puts
  // in the catalogs' translations): [hint lead, keyboard, touch, load failure].
  const STRINGS = L10N([
    "Noticed an error? Select it and ", "press Ctrl+Enter", "tap “Report an error”",
    "Could not open the form. Please try again."
  ]);
  // The reader's language: the site owner's override, the page's, the site's default (on the
  // embed line), the browser's, English: the first one there is a dialog for.
  // (One callback, stopping at the first hit.)
  let lang;
  [o.lang, d.documentElement.lang, o.defaultLang, navigator.language, 'en']
    .some((l) => STRINGS[lang = (l || '').toLowerCase().split('-')[0]]);
  const [lead, press, tap, failed] = STRINGS[lang];
  // Phones and tablets have no Ctrl+Enter: a button appears by a resting selection instead.
  const touch = matchMedia('(pointer:coarse)').matches;
  // The page's own fields keep their shortcuts. 'form' in e: input, textarea, select, button.
  const editable = (e) => e && (e.isContentEditable || 'form' in e);
  // The selection as a detached Range, which survives the dialog taking focus; the dialog
  // decides what to do with one outside data-root.
  const pick = () => {
    const g = d.getSelection();
    return String(g).trim() ? g.getRangeAt(0).cloneRange() : null;
  };
  let ui, pre, last;
  // The toast is a popover: the browser's own top-layer styles place it, centred, over
  // everything (no stylesheet for a strict style-src to refuse, no bytes for one). <output>
  // is a polite live region (role=status), filled after a tick to be announced. This one,
  // before the dialog file has loaded, goes in the page's body; the dialog file uses it too,
  // with its shadow root as p, where page CSS can't reach.
  const toast = (m, p = d.body) => {
    const e = p.appendChild(d.createElement('output'));
    e.popover = 'manual';
    e.showPopover();
    setTimeout(() => { e.textContent = m; }, 50);
    setTimeout(() => e.remove(), 8e3);
  };
  // The dialog, from this script's folder, as a module: import() needs no element, so it
  // carries this script's nonce by itself (browsers hide the nonce from attribute reads:
  // no data-nonce), passes 'strict-dynamic', and is no Trusted Types sink. A failed load
  // (network, CSP, ad blocker) is forgotten, so the next try fetches again.
  const load = () => (ui = ui || import(new URL(`errata-dialog.${lang}.js`, s.src))
    .then(() => E.ui(s, lang, pick, touch, toast)).catch((x) => { ui = 0; throw x; }));
  // Only a reader's own action is told of a failure, in a toast: sending kept reports at
  // load fails quietly.
  const quiet = () => load().catch(Boolean);
  const go = (what, range) => load().then((u) => u[what](range),
    () => what == 'flush' || toast(failed));
  const E = w.Errata = {
    version: '0.1.0',
    // For a site's own "Report an error" link or button, and the dialog file's: a click, Tab
    // or a tap may have cleared the selection, so the last one seen is used.
    open: () => go('open', pick() || last),
  };
  // On window, so it runs after the page's own handlers: defaultPrevented means "theirs".
  // Our own <errata-ui> (e.target, retargeted) is not one of the page's fields: the open
  // dialog handles its Ctrl+Enter itself, and a just-closed one may keep focus for a task.
  w.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key == 'Enter' && !e.defaultPrevented && !e.isComposing &&
        (e.target.localName == 'errata-ui' || !editable(e.composedPath()[0]))) {
      e.preventDefault();
      go('open', pick());
    }
  });
  // A reader who starts selecting may be about to report: the dialog file is fetched now
  // (once; a failure is told only when the reader asks), so the dialog opens at once on a
  // slow network. On touch screens the dialog file then shows its button by the selection.
  // The last selection is kept for Errata.open() (the dialog file's button calls it too): Tab
  // or a click may clear the selection before the button acts.
  d.addEventListener('selectionchange', () => {
    const r = pick();
    if (r) {
      last = r;
      pre = pre || quiet();
    }
  });
  // The optional floating button (data-button) is drawn by the dialog file, fetched at the
  // reader's first move, key or scroll: still no request at page load.
  if ('button' in o) {
    ['pointermove', 'keydown', 'scroll'].map((k) =>
      w.addEventListener(k, quiet, { once: 1, passive: 1 }));
  }
  // The hint, in the elements data-hint selects that are empty: a page's own text stays. ⌘ on
  // a Mac (iPads and iPhones have a coarse pointer, so the touch hint), found without a
  // regular expression: compiling one at load cost about 0.13 ms, as much as finding the
  // hint elements (docs/performance.md).
  const start = () => o.hint && d.querySelectorAll(o.hint).forEach((e) => {
    if (!e.textContent.trim()) {
      e.textContent = lead + (touch ? tap
        : navigator.platform.includes('Mac') ? press.replace('Ctrl', '⌘') : press);
    }
  });
  if (d.readyState == 'loading') d.addEventListener('DOMContentLoaded', start);
  else start();
  // Reports kept while offline or while the server was down go out, once the page has
  // loaded: Chromium's first read of localStorage costs more than this whole file.
  setTimeout(() => {
    try {
      if (localStorage['errata:q']) go('flush');
    } catch { /* storage blocked: nothing was kept either */ }
  }, 2e3);
})();
