// Draws the dashboard's charts from the options the hub serves as JSON
// (data-src), so that the page needs no inline script. Each chart marks
// itself data-finished once ECharts has rendered it.
(function () {
  'use strict';
  var nodes = document.querySelectorAll('.chart[data-src]');
  if (!nodes.length || !window.echarts) { return; }
  fetch(nodes[0].getAttribute('data-src'), { credentials: 'same-origin' })
    .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
    .then(function (data) {
      nodes.forEach(function (el) {
        var option = data.charts[el.id];
        if (!option) { return; }
        var chart = echarts.init(el, null, { renderer: 'canvas' });
        chart.on('finished', function () { el.setAttribute('data-finished', '1'); });
        var links = (data.links || {})[el.id];
        if (links) {
          chart.on('click', function (p) {
            var href = links[p.dataIndex];
            if (href) { window.location.href = href; }
          });
        }
        chart.setOption(option);
        window.addEventListener('resize', function () { chart.resize(); });
      });
    })
    .catch(function (e) {
      nodes.forEach(function (el) { el.textContent = String(e); el.setAttribute('data-error', '1'); });
    });
})();
