/* Errata editor UI: small shared behaviour. Pages work without it.
   - [data-copy="#id"] buttons copy the text of the element #id to the clipboard.
   - forms or buttons with [data-confirm="question"] ask before submitting; a checkbox with
     [data-confirm-uncheck="question"] asks only when it was ticked and is now unticked.
   No inline scripts anywhere (the CSP forbids them), so everything hooks in here. */
(function () {
  "use strict";
  if (window.__errataApp) return;
  window.__errataApp = true;

  function announce(button, text) {
    var status = button.parentNode && button.parentNode.querySelector("[data-copy-status]");
    if (status) status.textContent = text;
  }

  function fallbackCopy(text) {
    // For pages served over plain http (no async Clipboard API outside secure contexts).
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  // The login form sends the browser's time zone: a person's first login makes it theirs.
  var zoneField = document.querySelector("input[data-browser-timezone]");
  if (zoneField && window.Intl && Intl.DateTimeFormat) {
    try { zoneField.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* none */ }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.textContent.trim();
    var done = function () {
      button.setAttribute("data-copied", "");
      announce(button, button.getAttribute("data-copied-text") || "Copied to the clipboard.");
    };
    var failed = function () {
      if (fallbackCopy(text)) { done(); return; }
      announce(button, button.getAttribute("data-copy-failed-text") ||
        "Could not copy; select the text and copy it by hand.");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, failed);
    } else {
      failed();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question = (submitter && submitter.getAttribute("data-confirm")) ||
      form.getAttribute("data-confirm");
    var boxes = form.querySelectorAll("input[type=checkbox][data-confirm-uncheck]");
    for (var i = 0; !question && i < boxes.length; i++) {
      if (boxes[i].defaultChecked && !boxes[i].checked) {
        question = boxes[i].getAttribute("data-confirm-uncheck");
      }
    }
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Copy buttons are hidden without JavaScript (they would do nothing); show them now.
  var buttons = document.querySelectorAll("[data-copy][hidden]");
  for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
})();
