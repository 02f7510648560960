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
  // narrow lays a chart out for a phone-width box: smaller titles, labels
  // cut to fit instead of running over each other, legends at the bottom.
  function narrow(el, option) {
    var w = el.clientWidth;
    if (w >= 600) { return; }
    var list = function (x) { return x ? (Array.isArray(x) ? x : [x]) : []; };
    list(option.title).forEach(function (t) {
      t.textStyle = Object.assign({}, t.textStyle, { fontSize: 14 });
      t.subtextStyle = Object.assign({}, t.subtextStyle, { fontSize: 11 });
    });
    list(option.legend).forEach(function (l) { l.bottom = 0; l.top = null; l.type = 'scroll'; });
    list(option.xAxis).forEach(function (a) {
      if (a.axisLabel) { a.axisLabel = Object.assign({}, a.axisLabel, { rotate: 60, fontSize: 10, width: 70, overflow: 'truncate' }); }
    });
    if (el.id === 'heatmap') {
      list(option.grid).forEach(function (g) { g.left = Math.round(w * 0.38); g.right = 8; });
      list(option.yAxis).forEach(function (a) {
        a.axisLabel = Object.assign({}, a.axisLabel, { width: Math.round(w * 0.36), overflow: 'truncate', fontSize: 10 });
      });
    }
    if (el.id === 'radar') {
      list(option.radar).forEach(function (r) { r.radius = '52%'; r.center = ['50%', '52%']; r.axisName = { fontSize: 11 }; });
    }
    list(option.toolbox).forEach(function (t) { t.itemSize = 12; });
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
        narrow(el, option);
        (option.graphic || []).forEach(function (g) {
          if (g.style) { g.style.width = Math.max(120, el.clientWidth - 40); g.style.overflow = 'break'; g.style.align = 'center'; }
        });
        chart.setOption(option);
        window.addEventListener('resize', function () { chart.resize(); });
      });
    })
    .catch(function (e) {
      nodes.forEach(function (el) { el.textContent = String(e); el.setAttribute('data-error', '1'); });
    });
})();
