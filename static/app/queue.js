/* Errata queue: keyboard shortcuts, the selection count and "Show all". The pages work
   without this file.
   j/k move between rows, o or Enter opens one, x selects it for a bulk action,
   f / r / s press the row's (or the correction page's) "Fixed" / "Not an error" / "Spam"
   button, so the same server-rendered form is submitted as with a mouse. ? shows the keys.
   The bulk bar says how many rows are selected and can select the whole page; quotes that
   queue.css folds get a "Show all" button. Strings come from the page, in its language.
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
      if (box) {
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      }
    } else if (key === "f" || key === "r" || key === "s") {
      handled = press(key);
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  });

  // -- the filters and bulk bar: open whenever the screen is wide enough to show them ------
  var tools = document.querySelector("[data-tools]");
  var wide = window.matchMedia("(min-width: 48rem)");
  function syncTools() { if (tools && wide.matches) tools.open = true; }
  syncTools();
  if (wide.addEventListener) wide.addEventListener("change", syncTools);

  // -- the selection: "N selected" and select-all ---------------------------------------------
  var bulk = document.getElementById("bulk");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-select]"));
  var all = document.querySelector("[data-select-all]");
  function countSelected() {
    var n = boxes.filter(function (b) { return b.checked; }).length;
    var text = (bulk && bulk.getAttribute("data-selected-text") || "{n} selected")
      .replace("{n}", String(n));
    Array.prototype.forEach.call(document.querySelectorAll("[data-selected-count]"), function (el) {
      if (el.textContent !== text) el.textContent = text;
      // The bar always says it; the folded summary only once something is selected.
      el.hidden = n === 0 && !el.classList.contains("bulk__count");
    });
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
  }
  if (bulk && boxes.length) {
    var wrap = document.querySelector("[data-select-all-wrap]");
    if (wrap) wrap.hidden = false;
    document.addEventListener("change", function (event) {
      if (event.target === all) {
        boxes.forEach(function (b) { b.checked = all.checked; });
      }
      if (event.target === all || boxes.indexOf(event.target) >= 0) countSelected();
    });
    countSelected();  // a reload keeps ticked boxes
  }

  // -- folded quotes: "Show all" where queue.css cut something off ----------------------------
  var strings = document.querySelector("[data-queue-strings]");
  var showAll = strings ? strings.getAttribute("data-show-all") : "Show all";
  var showLess = strings ? strings.getAttribute("data-show-less") : "Show less";
  var folds = Array.prototype.slice.call(document.querySelectorAll(".fold"));
  folds.forEach(function (fold, i) {
    if (!fold.id) fold.id = "fold-" + i;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button fold-toggle";
    button.setAttribute("aria-controls", fold.id);
    button.setAttribute("aria-expanded", "false");
    button.textContent = showAll;
    button.hidden = true;
    button.addEventListener("click", function () {
      var open = fold.classList.toggle("is-unfolded");
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = open ? showLess : showAll;
    });
    fold.parentNode.insertBefore(button, fold.nextSibling);
    fold.foldToggle = button;
  });
  function syncFolds() {
    folds.forEach(function (fold) {
      if (fold.classList.contains("is-unfolded")) {
        fold.foldToggle.hidden = wide.matches;  // nothing folds on a wide screen
        return;
      }
      fold.foldToggle.hidden = fold.scrollHeight <= fold.clientHeight + 1;
    });
  }
  syncFolds();
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(syncFolds, 100);
  });
})();
