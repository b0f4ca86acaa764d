// Appended by snippet/build.py to the legacy static/js/errata-dialog.js only, never to the
// per-language errata-dialog.<lang>.js. Last release's errata.js (0.1.0, cached by pages for
// up to an hour after an upgrade) asks for that file and calls Errata.ui(script, lang); this
// passes the rest, as today's errata.js does: its pick(), the touch-screen flag and toast(). That
// loader's Errata.open() already uses the last selection it saw, and on touch screens it
// calls button(range) as the dialog file itself does. Goes with errata-dialog.js.
(() => {
  const ui = Errata.ui, d = document;
  const pick = () => {
    const g = d.getSelection();
    return String(g).trim() ? g.getRangeAt(0).cloneRange() : null;
  };
  const toast = (m, p) => {
    const e = p.appendChild(d.createElement('output'));
    e.popover = 'manual';
    e.showPopover();
    setTimeout(() => { e.textContent = m; }, 50);
    setTimeout(() => e.remove(), 8e3);
  };
  Errata.ui = (script, lang) =>
    ui(script, lang, pick, matchMedia('(pointer:coarse)').matches, toast);
})();
