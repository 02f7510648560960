// Draws the dashboard's charts from the options the hub serves as JSON
// (data-src), so that the page needs no inline script. Each chart marks
// itself data-finished once ECharts has rendered it.
(function () {
  'use strict';
  var nodes = document.querySelectorAll('.chart[data-src]');
  if (!nodes.length || !window.echarts) { return; }
  // heatTip shows a heatmap cell's value as readers see it (万, ≥, ≈) and
  // its scaled share of the indicator's highest value.
  function heatTip(option) {
    var xs = option.xAxis[0].data, ys = option.yAxis[0].data, enc = echarts.format.encodeHTML;
    return function (p) {
      var v = p.value;
      return enc(ys[v[1]]) + '<br>' + enc(xs[v[0]]) + '：' + enc(String(v[3])) + '（' + v[2] + '%）';
    };
  }
  // shownTip shows an axis tooltip's values as the hub wrote them (≥, ≈,
  // 万, 模拟) instead of the bare numbers the chart draws.
  function shownTip(shown) {
    var enc = echarts.format.encodeHTML;
    return function (ps) {
      if (!Array.isArray(ps)) { ps = [ps]; }
      if (!ps.length) { return ''; }
      var out = enc(String(ps[0].axisValueLabel || ps[0].name));
      ps.forEach(function (p) {
        var s = (shown[p.seriesIndex] || [])[p.dataIndex];
        out += '<br>' + p.marker + enc(p.seriesName) + '：' + enc(s === undefined ? String(p.value) : s);
      });
      return out;
    };
  }
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
        if (el.id === 'heatmap' && option.tooltip) {
          option.tooltip.formatter = heatTip(option);
        }
        var shown = (data.shown || {})[el.id];
        if (shown && option.tooltip) {
          (Array.isArray(option.tooltip) ? option.tooltip : [option.tooltip]).forEach(function (t) { t.formatter = shownTip(shown); });
        }
        if ((data.empty || {})[el.id]) { el.setAttribute('data-empty', data.empty[el.id]); }
        chart.setOption(option);
        window.addEventListener('resize', function () { chart.resize(); });
      });
    })
    .catch(function (e) {
      nodes.forEach(function (el) { el.textContent = String(e); el.setAttribute('data-error', '1'); });
    });
})();
