(function () {
  "use strict";
  // Counts the load events of the front-channel iframes (a capturing listener, set up
  // before they exist, so none is missed), gives up on the rest after 5 seconds, then
  // says how it went in the status and, when asked, goes back to the application.
  var loaded = [], total = -1, done = false, timer = 0;
  function isFrame(el) {
    return el && el.tagName === "IFRAME" && el.hasAttribute("data-frontchannel");
  }
  function finish() {
    if (done) { return; }
    done = true;
    clearTimeout(timer);
    var late = total - loaded.length;
    var status = document.getElementById("exeunt-status");
    if (status) {
      var text = late <= 0 ? status.getAttribute("data-done") :
        status.getAttribute(late === 1 ? "data-late-one" : "data-late-other");
      status.textContent = text.replace("%d", String(late));
    }
    var back = document.querySelector("a[data-auto-redirect]");
    if (back) { window.location.replace(back.href); }
  }
  document.addEventListener("load", function (ev) {
    if (isFrame(ev.target) && loaded.indexOf(ev.target) < 0) {
      loaded.push(ev.target);
      if (total >= 0 && loaded.length >= total) { finish(); }
    }
  }, true);
  document.addEventListener("DOMContentLoaded", function () {
    total = document.querySelectorAll("iframe[data-frontchannel]").length;
    if (loaded.length >= total) { finish(); return; }
    timer = setTimeout(finish, 5000);
  });
})();