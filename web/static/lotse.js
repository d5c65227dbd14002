// Lotse: a little progressive enhancement; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Ask before actions marked as consequential (close a case, deactivate an account).
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (ev) => {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  });
  sessionWarning();
});
// A saved form returns to a place on the page (#timeline); browsers then skip
// autofocus, so the message of the save takes the focus here — without scrolling away
// from that place — and screen readers read it. After loading, when the browser has
// gone to that place (which clears the focus of an element outside it).
window.addEventListener("load", () => {
  const flash = document.getElementById("flash");
  if (flash && location.hash && location.hash !== "#flash") {
    window.setTimeout(() => flash.focus({ preventScroll: true }), 0);
  }
});

// sessionWarning shows a notice a few minutes before the signed-in session runs out
// for lack of requests (the idle timeout the page names in data-idle-seconds), with a
// button that keeps it: one cheap signed-in request renews the session. Several tabs
// share the time of the last request through localStorage, so a tab in use keeps the
// others from warning. Without script nothing is lost either: a form sent after the
// session ended leads through the sign-in back to the form with its input.
function sessionWarning() {
  const idle = Number(document.body.dataset.idleSeconds) * 1000;
  const box = document.getElementById("session-warning");
  if (!(idle > 0) || !box) return;
  const text = document.getElementById("session-warning-text");
  const keep = document.getElementById("session-keep");
  // Warn five minutes ahead, or at a fifth of a short timeout (tests shorten it).
  const ahead = Math.min(5 * 60 * 1000, idle / 5);
  const key = "lotse.lastRequest";
  const seen = (at) => {
    try { localStorage.setItem(key, String(at)); } catch (e) { /* private mode: this tab alone */ }
  };
  const last = () => {
    let at = lastRequest;
    try { at = Math.max(at, Number(localStorage.getItem(key)) || 0); } catch (e) { /* as above */ }
    return at;
  };
  let lastRequest = Date.now();
  seen(lastRequest);
  let shown = "";
  const show = (state, message) => {
    if (shown === state) return;
    shown = state;
    box.hidden = state === "";
    text.textContent = message;
    keep.hidden = state !== "ending";
  };
  const check = () => {
    const end = last() + idle;
    const left = end - Date.now();
    if (left <= 0) {
      show("ended", text.dataset.ended);
    } else if (left <= ahead) {
      const time = new Date(end).toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
      show("ending", text.dataset.ending.replace("%TIME%", time));
    } else {
      show("", "");
    }
  };
  keep.addEventListener("click", async () => {
    try {
      const r = await fetch("/api/v1/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (r.ok) {
        lastRequest = Date.now();
        seen(lastRequest);
        check();
        (document.getElementById("main") || document.body).focus();
        return;
      }
    } catch (e) { /* offline: say it ended below if it has */ }
    show("ended", text.dataset.ended);
  });
  check();
  window.setInterval(check, Math.min(15000, ahead / 4));
}
