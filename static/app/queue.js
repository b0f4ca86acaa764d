/* Errata queue: keyboard shortcuts. The pages work without this file.
   j/k move between rows, o or Enter opens one, x selects it for a bulk action,
   f / r / s press the row's (or the correction page's) "Fixed" / "Not an error" / "Spam"
   button, so the same server-rendered form is submitted as with a mouse. ? shows the keys.
   No inline script or style anywhere: the CSP forbids both. */
(function () {
  "use strict";
  if (window.__errataQueue) return;
  window.__errataQueue = true;

  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-row]"));
  var current = -1;
  var dialog = document.getElementById("queue-keys");
  var listPage = !!document.querySelector("[data-queue]");

  // The help button only makes sense with this script and a browser that has <dialog>.
  if (dialog && typeof dialog.showModal === "function") {
    Array.prototype.forEach.call(document.querySelectorAll("[data-keys-open]"), function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { dialog.showModal(); });
    });
  }

  function select(index) {
    if (!rows.length) return;
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0 && rows[current]) rows[current].classList.remove("is-current");
    current = index;
    rows[current].classList.add("is-current");
    rows[current].focus();
    rows[current].scrollIntoView({ block: "nearest" });
  }

  // Clicking or tabbing into a row makes it the current one, so keys act where focus is.
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("[data-row]");
    if (!row) return;
    var index = rows.indexOf(row);
    if (index !== current && index >= 0) {
      if (current >= 0 && rows[current]) rows[current].classList.remove("is-current");
      current = index;
      row.classList.add("is-current");
    }
  });

  // Keys belong to the field while one is being typed in; a focused checkbox or button
  // (after a mouse click) should not swallow j/k.
  var NOT_TEXT = { checkbox: 1, radio: 1, button: 1, submit: 1, reset: 1 };
  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    if (tag === "input") return !NOT_TEXT[(target.type || "").toLowerCase()];
    return tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  // Where f/r/s act: the current row on the list, the whole page on a correction page.
  function scope() {
    if (listPage) return current >= 0 ? rows[current] : null;
    return document.getElementById("main");
  }

  function press(key) {
    var root = scope();
    var button = root && root.querySelector('button[data-key="' + key + '"]');
    if (!button || button.disabled) return false;
    button.click();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    if (dialog && dialog.open && event.key !== "?") return;
    var key = event.key;
    var handled = true;
    if (key === "?") {
      if (dialog && typeof dialog.showModal === "function") {
        if (dialog.open) dialog.close(); else dialog.showModal();
      }
    } else if (key === "j" && listPage) {
      select(current + 1);
    } else if (key === "k" && listPage) {
      select(current < 0 ? 0 : current - 1);
    } else if ((key === "o" || (key === "Enter" && event.target === rows[current])) &&
               listPage && current >= 0) {
      var link = rows[current].querySelector("[data-open]");
      if (link) window.location.assign(link.href);
    } else if (key === "x" && listPage && current >= 0) {
      var box = rows[current].querySelector("[data-select]");
      if (box) box.checked = !box.checked;
    } else if (key === "f" || key === "r" || key === "s") {
      handled = press(key);
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  });
})();
