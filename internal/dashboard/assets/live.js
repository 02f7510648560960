// Live updates (docs/live.md): the page subscribes to valuesChanged over
// the graphql-transport-ws protocol with its own session (same origin,
// the hub checks the Origin), and redraws its charts when a value it may
// read changes, without a reload: window.hubRefresh() when the page
// defines one, else data.json again and setOption on each chart. It
// reconnects with a growing pause when the connection drops, and redraws
// after a resync (the server may have missed changes).
(function () {
  'use strict';
  var nodes = document.querySelectorAll('.chart[data-src]');
  if (!nodes.length || !window.WebSocket) { return; }
  var root = document.documentElement;
  var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';
  var query = 'subscription { valuesChanged { resync values { id } } }';
  var pause = 500, timer = null, redraws = 0;

  function redrawn() {
    redraws++;
    root.setAttribute('data-live-redraws', String(redraws));
  }
  function redraw() {
    timer = null;
    if (typeof window.hubRefresh === 'function') {
      Promise.resolve(window.hubRefresh()).then(redrawn);
      return;
    }
    fetch(nodes[0].getAttribute('data-src'), { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
      .then(function (data) {
        nodes.forEach(function (el) {
          var chart = window.echarts && echarts.getInstanceByDom(el), option = data.charts[el.id];
          if (!chart || !option) { return; }
          // Replace the series' data, keep what dashboard.js set up
          // (tooltips, narrow layouts).
          chart.setOption({ series: option.series, xAxis: option.xAxis, yAxis: option.yAxis, graphic: option.graphic || [] },
            { replaceMerge: ['series', 'graphic'] });
        });
        redrawn();
      })
      .catch(function () { root.setAttribute('data-live', 'error'); });
  }
  // A burst of changes (an approval of many values) is one redraw.
  function soon() { if (!timer) { timer = setTimeout(redraw, 150); } }

  function connect() {
    var ws = new WebSocket(url, 'graphql-transport-ws');
    ws.onopen = function () { ws.send(JSON.stringify({ type: 'connection_init', payload: {} })); };
    ws.onmessage = function (e) {
      var m;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      switch (m.type) {
        case 'connection_ack':
          pause = 500;
          root.setAttribute('data-live', 'connected');
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: query } }));
          break;
        case 'ping':
          ws.send(JSON.stringify({ type: 'pong' }));
          break;
        case 'next':
          soon();
          break;
      }
    };
    ws.onclose = function (e) {
      root.setAttribute('data-live', 'closed ' + e.code);
      // 4401: the session ended; the next page load goes to the login.
      if (e.code === 4401) { return; }
      setTimeout(connect, pause);
      pause = Math.min(pause * 2, 30000);
      if (e.code === 4504 || e.code === 1001) { soon(); }
    };
  }
  connect();
})();
