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
    // The 大屏 has no protection list: an indicator chosen brings its own
    // protection, for the heatmap and the way back to the dashboard (a kept
    // protection left 希望小屋 under 政府保护).
    f.addEventListener('change', function (e) {
      var o = e.target.name === 'indicator' && e.target.selectedOptions[0];
      if (o && o.getAttribute('data-protection') && f.elements.protection) { f.elements.protection.value = o.getAttribute('data-protection'); }
      f.submit();
    });
  }
  var out = document.getElementById('refreshed');
  if (out) {
    new MutationObserver(function () {
      var t = new Date(document.body.getAttribute('data-refreshed'));
      // 北京时间, as every other time of the hub, whatever the wall's computer says.
      out.textContent = t.toLocaleTimeString(document.documentElement.lang, { hour12: false, timeZone: 'Asia/Shanghai' });
    }).observe(document.body, { attributes: true, attributeFilter: ['data-refreshed'] });
  }
})();
