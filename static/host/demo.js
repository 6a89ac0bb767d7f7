// Scrollytelling for demo.html: the paragraph crossing the middle of the screen sends its
// commands (data-cmds, a JSON list) to its figure's iframe via pc-embed.js.
(function () {
  'use strict';
  var log = (window.__demoEvents = []);
  window.PCEmbed.on(function (ev, frame) {
    if (ev.type !== 'height') log.push({ frame: frame.id, type: ev.type, iteration: ev.iteration, message: ev.message, node: ev.node });
    if (log.length > 500) log.shift();
  });
  var active = null;
  function activate(p) {
    if (p === active) return;
    if (active) active.classList.remove('active');
    active = p;
    p.classList.add('active');
    var frame = document.getElementById(p.parentNode.getAttribute('data-frame'));
    var cmds;
    try { cmds = JSON.parse(p.getAttribute('data-cmds') || '[]'); } catch (e) { cmds = []; }
    cmds.forEach(function (c) {
      var args = {};
      for (var k in c) if (k !== 'type') args[k] = c[k];
      window.PCEmbed.send(frame, c.type, args);
    });
  }
  var io = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting) activate(e.target); });
  }, { rootMargin: '-45% 0px -45% 0px' });
  document.querySelectorAll('.steps p').forEach(function (p) { io.observe(p); });
})();
