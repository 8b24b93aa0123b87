/* The owner's portal: the share button of a visitor pass.
 * <button data-share-text="…" data-share-title="…" data-share-status="id-of-a-live-region"
 *         data-copied-label="…" data-copy-failed-label="…">
 * Uses the Web Share API where the phone has it (WeChat, messages, mail …); elsewhere, or
 * when sharing fails, copies the text and says so in the live region. No inline script: the
 * page only loads this file (Content-Security-Policy). */
(function () {
  "use strict";

  function copyWithSelection(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return copyWithSelection(text);
      });
    }
    return copyWithSelection(text);
  }

  function share(button) {
    var text = button.dataset.shareText || "";
    var status = document.getElementById(button.dataset.shareStatus || "");
    function say(message) {
      if (status && message) {
        status.textContent = message;
      }
    }
    function copyInstead() {
      copy(text).then(
        function () { say(button.dataset.copiedLabel); },
        function () { say(button.dataset.copyFailedLabel); }
      );
    }
    if (navigator.share) {
      navigator.share({ title: button.dataset.shareTitle || "", text: text }).catch(function (error) {
        if (!error || error.name !== "AbortError") {
          copyInstead(); // the owner closed the sheet: nothing to do; anything else: copy
        }
      });
      return;
    }
    copyInstead();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-share-text]");
    if (button) {
      event.preventDefault();
      share(button);
    }
  });
})();
