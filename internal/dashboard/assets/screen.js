// The 大屏's controls: full screen, apply a filter at once (应用 hidden), and the time
// of the last refresh (dashboard.js's hubRefresh sets data-refreshed).
(function () {
  'use strict';
  var b = document.getElementById('fullscreen');
  if (b) {
    b.addEventListener('click', function () {
      if (document.fullscreenElement) { document.exitFullscreen(); } else { document.documentElement.requestFullscreen(); }
    });
  }
  var f = document.querySelector('form.wallfilters');
  if (f) {
    // Every change applies at once: 应用 is for a browser without script.
    var apply = f.querySelector('button[type=submit]');
    if (apply) { apply.hidden = true; }
    f.addEventListener('change', function () { f.submit(); });
  }
  var out = document.getElementById('refreshed');
  if (out) {
    new MutationObserver(function () {
      var t = new Date(document.body.getAttribute('data-refreshed'));
      out.textContent = t.toLocaleTimeString(document.documentElement.lang, { hour12: false });
    }).observe(document.body, { attributes: true, attributeFilter: ['data-refreshed'] });
  }
})();
