(function () {
  "use strict";
  // OpenID Connect Session Management 1.0, section 3.2: answers an app's message
  // "client_id session_state" with "unchanged", "changed" or "error", posted back to
  // the app's window and origin. Messages from an origin that is not one of that
  // client's get no answer.
  var config = JSON.parse(document.getElementById("exeunt-check-session").textContent);
  function allowed(clientId, origin) {
    if (!Object.prototype.hasOwnProperty.call(config.clients, clientId)) { return false; }
    var origins = config.clients[clientId];
    if (origins.indexOf(origin) >= 0) { return true; }
    var m = /^(https?:\/\/(?:\[[0-9a-f:.]+\]|[^:\/\[\]]+))(?::[0-9]+)?$/.exec(origin);
    return m !== null && origins.indexOf(m[1] + ":*") >= 0;
  }
  function browserState() {
    var pairs = document.cookie.split(";");
    for (var i = 0; i < pairs.length; i++) {
      var pair = pairs[i].replace(/^\s+/, ""), eq = pair.indexOf("=");
      if (eq > 0 && pair.slice(0, eq) === config.cookie) { return pair.slice(eq + 1); }
    }
    return "";
  }
  function hex(buffer) {
    var bytes = new Uint8Array(buffer), out = "";
    for (var i = 0; i < bytes.length; i++) { out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16); }
    return out;
  }
  window.addEventListener("message", function (ev) {
    if (!ev.source || typeof ev.data !== "string") { return; }
    var space = ev.data.lastIndexOf(" ");
    var clientId = space < 0 ? ev.data : ev.data.slice(0, space);
    if (!allowed(clientId, ev.origin)) { return; }
    var source = ev.source, origin = ev.origin;
    function reply(answer) { source.postMessage(answer, origin); }
    var sessionState = space < 0 ? "" : ev.data.slice(space + 1), dot = sessionState.lastIndexOf(".");
    if (dot <= 0 || dot === sessionState.length - 1 || !window.crypto || !window.crypto.subtle) {
      reply("error");
      return;
    }
    var salt = sessionState.slice(dot + 1), state = browserState();
    if (state === "") { reply("changed"); return; }
    var text = clientId + " " + origin + " " + state + " " + salt;
    window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (sum) {
      reply(hex(sum) + "." + salt === sessionState ? "unchanged" : "changed");
    }, function () { reply("error"); });
  });
})();
