// Draws the dashboard's charts from the options the hub serves as JSON
// (data-src), so that the page needs no inline script. Each chart marks
// itself data-finished once ECharts has rendered it.
(function () {
  'use strict';
  filters(document.getElementById('filters'));
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
  // fit cuts long axis names to a width at every size, so that a rotated
  // name never runs out of the chart (the grid contains the labels).
  function fit(el, option) {
    if (el.clientWidth < 600) { return; }
    var list = function (x) { return x ? (Array.isArray(x) ? x : [x]) : []; };
    list(option.xAxis).forEach(function (a) {
      if (a.axisLabel) { a.axisLabel = Object.assign({}, a.axisLabel, { width: 110, overflow: 'truncate' }); }
    });
    if (el.id === 'heatmap') {
      list(option.yAxis).forEach(function (a) {
        a.axisLabel = Object.assign({}, a.axisLabel, { width: Math.round(Math.min(260, el.clientWidth * 0.3)), overflow: 'truncate' });
      });
    }
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
  start();
  function start() {
  fetch(nodes[0].getAttribute('data-src'), { credentials: 'same-origin' })
    .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
    .then(function (data) {
      nodes.forEach(function (el) {
        var option = data.charts[el.id];
        if (!option) { return; }
        var chart = echarts.init(el, null, { renderer: 'canvas' });
        chart.on('finished', function () {
          // data-finished-at: milliseconds from the start of the page's
          // navigation to the chart's first finished drawing.
          if (!el.hasAttribute('data-finished')) { el.setAttribute('data-finished-at', String(Math.round(performance.now()))); }
          el.setAttribute('data-finished', '1');
        });
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
        // A short entrance: the charts are read, not watched; ECharts'
        // default second of animation is most of the time to a drawn page.
        option.animationDuration = 300;
        option.animationDurationUpdate = 300;
        fit(el, option);
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
  }
  // filters makes the filter form apply each change at once (the 应用
  // button stays for a browser without script): the protection narrows the
  // indicator list from the options' data-protection at once, before the
  // page is asked for; the region search narrows the checkboxes. The form
  // submits by GET, so the view stays in the URL.
  function filters(form) {
    if (!form) { return; }
    var apply = form.querySelector('.apply');
    if (apply) { apply.hidden = true; }
    var protection = form.elements.protection, indicator = form.elements.indicator;
    function narrowIndicators() {
      var first = null, keep = false;
      Array.prototype.forEach.call(indicator.options, function (o) {
        var mine = o.getAttribute('data-protection') === protection.value;
        o.hidden = !mine;
        if (mine && !first) { first = o; }
        if (mine && o.selected) { keep = true; }
      });
      if (!keep && first) { first.selected = true; }
    }
    form.addEventListener('change', function (e) {
      var t = e.target;
      if (t.type === 'search') { return; }
      if (t === protection) { narrowIndicators(); }
      form.setAttribute('data-pending', '1');
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
    var find = form.querySelector('input.find');
    if (find) {
      find.addEventListener('input', function () {
        var w = find.value.trim().toLowerCase();
        form.querySelectorAll('.boxes label').forEach(function (l) {
          l.hidden = w !== '' && l.textContent.toLowerCase().indexOf(w) < 0;
        });
      });
    }
  }
})();
