// Draws the dashboard's charts from the options the hub writes into the
// page as a JSON data block (#hub-data, not a script: the CSP's
// script-src 'self' holds), so that the first drawing needs no second
// request. Each chart marks itself data-finished once ECharts has
// rendered it. performance marks hub:script, hub:maps (boundaries
// registered) and hub:drawn (every chart set) time the steps.
//
// window.hubRefresh() fetches data.json (data-src) and redraws every chart and
// headline card from it, without reloading the page: the 大屏 calls it
// every data-refresh seconds, and live updates may call it whenever new
// values are approved. It returns a promise.
(function () {
  'use strict';
  performance.mark('hub:script');
  filters(document.getElementById('filters'));
  var nodes = document.querySelectorAll('.chart[data-src]');
  if (!nodes.length || !window.echarts) { return; }
  var screen = document.body.classList.contains('screen');
  var theme = screen ? 'dark' : null;
  // A label and its value, a share in brackets: full-width on a Chinese
  // page, ASCII on an English one (which showed "Value：1,080").
  var en = document.documentElement.lang === 'en';
  var colon = en ? ': ' : '：', bra = en ? ' (' : '（', ket = en ? ')' : '）';
  // heatTip shows a heatmap cell's value as readers see it (万, ≥, ≈), its
  // share of the row's highest figure and its red-amber-green rating.
  function heatTip(option) {
    var xs = option.xAxis[0].data, ys = option.yAxis[0].data, enc = echarts.format.encodeHTML;
    return function (p) {
      var v = p.value;
      return enc(ys[v[1]]) + '<br>' + enc(xs[v[0]]) + colon + enc(String(v[3])) + bra + v[4] + '%' + ket + '<br>' + enc(String(v[5]));
    };
  }
  // itemTip shows the lines the hub wrote for a map region (value with
  // ≥/≈, rank, status, rating, 模拟).
  function itemTip(p) {
    var enc = echarts.format.encodeHTML;
    if (!p.data || !p.data.tip) { return enc(String(p.name)); }
    return p.data.tip.map(function (l) { return enc(String(l)); }).join('<br>');
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
        out += '<br>' + p.marker + enc(p.seriesName) + colon + enc(s === undefined ? String(p.value) : s);
      });
      return out;
    };
  }
  var list = function (x) { return x ? (Array.isArray(x) ? x : [x]) : []; };
  // fit cuts long axis names to a width at every size, so that a rotated
  // name never runs out of the chart (the grid contains the labels).
  function fit(el, option) {
    if (el.clientWidth < 600) { return; }
    list(option.xAxis).forEach(function (a) {
      if (a.axisLabel) { a.axisLabel = Object.assign({}, a.axisLabel, { width: 110, overflow: 'truncate' }); }
    });
    if (el.id === 'heatmap') {
      list(option.yAxis).forEach(function (a) {
        a.axisLabel = Object.assign({}, a.axisLabel, { width: Math.round(Math.min(260, el.clientWidth * 0.3)), overflow: 'truncate' });
      });
    }
    // ECharts' default radius (75%) puts the bottom axis name (网络保护)
    // on the legend in a 360-px box; 60% leaves it a line of its own.
    if (el.id === 'radar') {
      list(option.radar).forEach(function (r) { r.radius = '60%'; r.center = ['50%', '50%']; });
    }
  }
  // mapRoom draws the map under the title (top px) and right of its legend
  // (the visual map, left px wide, at the bottom left), so that neither runs
  // into the western districts (青州市, 临朐县) or their names. The districts
  // are taller than wide: layoutSize is their height.
  function mapRoom(el, option, top, left) {
    var w = el.clientWidth, h = el.clientHeight;
    list(option.series).forEach(function (s) {
      s.layoutSize = Math.max(120, Math.min(h - top - 8, (w - left - 12) / 0.9));
      s.layoutCenter = [left + (w - left) / 2, top + (h - top - 8) / 2];
    });
    list(option.visualMap).forEach(function (v) { v.left = 8; v.bottom = 6; });
  }
  // narrow lays a chart out for a phone-width box: smaller titles, labels
  // cut to fit instead of running over each other, legends at the bottom.
  function narrow(el, option) {
    var w = el.clientWidth;
    if (w >= 600) { return; }
    list(option.title).forEach(function (t) {
      t.textStyle = Object.assign({}, t.textStyle, { fontSize: 14, width: w - 60, overflow: 'truncate' });
      t.subtextStyle = Object.assign({}, t.subtextStyle, { fontSize: 11 });
    });
    list(option.legend).forEach(function (l) { l.bottom = 0; l.top = null; l.type = 'scroll'; });
    list(option.xAxis).forEach(function (a) {
      if (a.axisLabel) { a.axisLabel = Object.assign({}, a.axisLabel, { rotate: 60, fontSize: 10, width: 70, overflow: 'truncate' }); }
    });
    if (el.id === 'heatmap') {
      // The grid contains its labels (containLabel): a left margin as
      // wide as the labels would count them twice and squeeze the cells
      // (and the region names under them) into a quarter of the box.
      list(option.grid).forEach(function (g) { g.left = 4; g.right = 8; });
      list(option.yAxis).forEach(function (a) {
        a.axisLabel = Object.assign({}, a.axisLabel, { width: Math.round(w * 0.36), overflow: 'truncate', fontSize: 10 });
      });
    }
    if (el.id === 'radar') {
      list(option.radar).forEach(function (r) { r.radius = '52%'; r.center = ['50%', '52%']; r.axisName = { fontSize: 11 }; });
    }
    if (el.id === 'map') {
      list(option.series).forEach(function (s) { s.label = Object.assign({}, s.label, { fontSize: 9 }); });
      list(option.visualMap).forEach(function (v) { v.itemWidth = 12; v.itemHeight = 10; v.textStyle = { fontSize: 10 }; });
      mapRoom(el, option, 52, 118);
    }
    list(option.toolbox).forEach(function (t) { t.itemSize = 12; });
  }
  // crowd lets ECharts leave out category names that would run into each
  // other, where there are more than the axis has room for at every name
  // (a town's 60-odd villages piled their names into one grey smear at
  // 1366 px); the tooltip still names every bar and cell.
  function crowd(el, option) {
    list(option.xAxis).forEach(function (a) {
      var n = (a.data || []).length;
      if (a.axisLabel && n > 0 && el.clientWidth / n < 24) { a.axisLabel = Object.assign({}, a.axisLabel, { interval: 'auto' }); }
    });
    list(option.yAxis).forEach(function (a) {
      var n = (a.data || []).length;
      if (a.axisLabel && n > 0 && el.clientHeight / n < 14) { a.axisLabel = Object.assign({}, a.axisLabel, { interval: 'auto' }); }
    });
  }
  // big lays a chart out for the 大屏: type readable across a room, no
  // toolbox, transparent over the dark page.
  function big(el, option) {
    option.backgroundColor = 'transparent';
    var fs = function (o, size) { return Object.assign({}, o, { fontSize: size }); };
    list(option.title).forEach(function (t) { t.textStyle = fs(t.textStyle, 24); t.subtextStyle = fs(t.subtextStyle, 16); });
    list(option.legend).forEach(function (l) { l.textStyle = fs(l.textStyle, 16); l.itemWidth = 28; l.itemHeight = 16; });
    list(option.xAxis).concat(list(option.yAxis)).forEach(function (a) { a.axisLabel = fs(a.axisLabel, 15); });
    list(option.tooltip).forEach(function (t) { t.textStyle = fs(t.textStyle, 18); });
    list(option.visualMap).forEach(function (v) { v.textStyle = fs(v.textStyle, 16); v.itemWidth = 24; v.itemHeight = 16; });
    list(option.radar).forEach(function (r) { r.axisName = { fontSize: 16 }; });
    // The title and subtitle take the top 60 px of a tile at this size:
    // grids start below them with room for the top axis label.
    if (el.id === 'bar' || el.id === 'trend') {
      if (!option.grid) { option.grid = [{}]; }
      list(option.grid).forEach(function (g) { g.top = 84; });
    }
    if (el.id === 'map') {
      list(option.series).forEach(function (s) { s.label = fs(s.label, 15); });
      mapRoom(el, option, 70, 186);
    }
    var cut = function (a, size, width) { return Object.assign({}, a, { fontSize: size, width: width, overflow: 'truncate' }); };
    if (el.id === 'heatmap') {
      // containLabel already makes room for the labels: margins as wide
      // as them squeezed the cells into a corner of the tile. Two dozen
      // rows do not all fit a tile's height: the names that would overlap
      // are left out (the tooltip names every cell).
      list(option.grid).forEach(function (g) { g.left = 8; g.bottom = 40; g.top = 72; });
      list(option.yAxis).forEach(function (a) { a.axisLabel = Object.assign(cut(a.axisLabel, 12, 185), { interval: 'auto' }); });
      list(option.xAxis).forEach(function (a) { a.axisLabel = cut(Object.assign({}, a.axisLabel, { rotate: 45 }), 13, 80); });
      list(option.visualMap).forEach(function (v) { v.textStyle = fs(v.textStyle, 14); v.itemWidth = 18; v.itemHeight = 12; });
    }
    if (el.id === 'bar') {
      list(option.xAxis).forEach(function (a) { a.axisLabel = cut(Object.assign({}, a.axisLabel, { rotate: 40 }), 14, 90); });
      list(option.grid).forEach(function (g) { g.bottom = 90; });
    }
    if (el.id === 'radar') { list(option.radar).forEach(function (r) { r.radius = '58%'; r.center = ['50%', '50%']; }); }
    option.toolbox = { show: false };
  }
  // maps registers the boundaries the charts need (from the hub).
  function maps(data) {
    var wait = [];
    Object.keys(data.maps || {}).forEach(function (id) {
      var m = data.maps[id];
      if (!m || echarts.getMap(m.name)) { return; }
      wait.push(fetch(m.url, { credentials: 'same-origin' })
        .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status + ' ' + m.url); } return r.json(); })
        .then(function (geo) { echarts.registerMap(m.name, geo); }));
    });
    return Promise.all(wait);
  }
  var events = {};
  function draw(el, data) {
    var option = data.charts[el.id];
    if (!option) { return; }
    var chart = echarts.getInstanceByDom(el), fresh = !chart;
    if (fresh) {
      chart = echarts.init(el, theme, { renderer: 'canvas' });
      chart.on('finished', function () {
        // data-finished-at: milliseconds from the start of the page's
        // navigation to the chart's first finished drawing.
        if (!el.hasAttribute('data-finished')) { el.setAttribute('data-finished-at', String(Math.round(performance.now()))); }
        el.setAttribute('data-finished', '1');
      });
      // Clicks read the latest data, so that a refresh keeps them true.
      chart.on('click', function (p) {
        var d = events[el.id] || {};
        var href = (p.data && p.data.link) || (d.links || [])[p.dataIndex];
        if (href) { window.location.href = href; }
      });
      // The chart follows its box, whatever moved it (the window, or the
      // page's layout settling after the first drawing).
      new ResizeObserver(function () {
        if (el.clientWidth !== chart.getWidth() || el.clientHeight !== chart.getHeight()) { chart.resize(); }
      }).observe(el);
    }
    events[el.id] = { links: (data.links || {})[el.id] };
    if (el.id === 'heatmap' && option.tooltip) {
      option.tooltip.formatter = heatTip(option);
    }
    if (el.id === 'map') {
      list(option.tooltip).forEach(function (t) { t.formatter = itemTip; });
    }
    var shown = (data.shown || {})[el.id];
    if (shown && option.tooltip) {
      list(option.tooltip).forEach(function (t) { t.formatter = shownTip(shown); });
    }
    if ((data.empty || {})[el.id]) { el.setAttribute('data-empty', data.empty[el.id]); } else { el.removeAttribute('data-empty'); }
    // No entrance animation: the charts are read, not watched, and ECharts'
    // animation (a second by default, 300 ms tried) was most of the time to
    // a drawn page on a warm load. Redraws after a refresh move for 300 ms.
    option.animation = true;
    option.animationDuration = 0;
    option.animationDurationUpdate = 300;
    // Tooltips stay inside their chart, wrapped to its width: near the
    // right edge (the last bar, the heatmap's last column) one ran past the
    // window and pushed a 390-px page 135 px sideways.
    list(option.tooltip).forEach(function (t) {
      t.confine = true;
      t.extraCssText = 'white-space: normal; box-sizing: border-box; max-width: ' + Math.max(160, el.clientWidth - 16) + 'px;';
    });
    fit(el, option);
    narrow(el, option);
    // The 大屏's room-sized type is for its 1920-px tiles; a tile narrower
    // than 600 px (the 大屏 on a laptop or a phone) keeps narrow's layout,
    // dark.
    if (screen && el.clientWidth >= 600) { big(el, option); } else if (screen) { option.backgroundColor = 'transparent'; option.toolbox = { show: false }; }
    crowd(el, option);
    (option.graphic || []).forEach(function (g) {
      if (g.style) { g.style.width = Math.max(120, el.clientWidth - 40); g.style.overflow = 'break'; g.style.align = 'center'; }
    });
    // A line series animates its first drawing (about 200 ms) even with
    // animationDuration 0 on the chart: the trend finished last, long
    // after the others. Series of a first drawing do not animate.
    if (fresh) { list(option.series).forEach(function (s) { s.animation = false; }); }
    chart.setOption(option, true);
  }
  // cards writes the headline cards from data.json's kpis.
  function cards(kpis) {
    document.querySelectorAll('.kpi[data-kpi]').forEach(function (el) {
      var k = (kpis || [])[Number(el.getAttribute('data-kpi'))];
      if (!k) { return; }
      el.querySelectorAll('[data-field]').forEach(function (f) {
        var name = f.getAttribute('data-field'), v = k[name];
        if (name === 'YoY' || name === 'MoM') {
          var c = v || {};
          f.textContent = c.Text || '';
          f.className = 'change ' + (c.Class || '');
          return;
        }
        f.textContent = v === undefined || v === null ? '' : String(v);
      });
    });
  }
  // rows rewrites a live ranking table (data-live) from data.json's ranking.
  function rows(ranking) {
    var table = document.querySelector('table[data-live]');
    if (!table || !ranking) { return; }
    var body = document.createElement('tbody');
    ranking.forEach(function (r) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-region', r.code);
      [r.rank ? String(r.rank) : '—', r.name, r.shown, r.perTenK].forEach(function (text, i) {
        var td = document.createElement('td');
        td.textContent = text;
        if (i >= 2) { td.className = 'num'; }
        if (i === 2 && r.synthetic) {
          var s = document.createElement('span');
          s.className = 'sim';
          s.textContent = table.getAttribute('data-sim') || '模拟';
          td.appendChild(document.createTextNode(' '));
          td.appendChild(s);
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.replaceChild(body, table.tBodies[0]);
  }
  var src = nodes[0].getAttribute('data-src');
  // show draws data: the boundaries first, then every chart in one go;
  // after a refresh the cards and a live ranking too (the page came with
  // the same figures in them).
  function show(data, first) {
    return maps(data).then(function () {
      performance.mark('hub:maps');
      nodes.forEach(function (el) { el.removeAttribute('data-error'); draw(el, data); });
      performance.mark('hub:drawn');
      if (!first) {
        cards(data.kpis);
        rows(data.ranking);
      }
      document.body.setAttribute('data-refreshed', new Date().toISOString());
    });
  }
  function failed(e) {
    nodes.forEach(function (el) {
      if (!echarts.getInstanceByDom(el)) { el.textContent = String(e); }
      el.setAttribute('data-error', String(e));
    });
  }
  window.hubRefresh = function () {
    return fetch(src, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
      .then(function (data) { return show(data, false); })
      .catch(failed);
  };
  // The first drawing reads the page's own copy of data.json.
  var inline = document.getElementById('hub-data');
  if (inline) {
    new Promise(function (ok) { ok(JSON.parse(inline.textContent)); })
      .then(function (data) { return show(data, true); }).catch(failed);
  } else {
    window.hubRefresh();
  }
  var every = Number(document.body.getAttribute('data-refresh'));
  if (every > 0) { window.setInterval(window.hubRefresh, every * 1000); }
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
