/*! pc-embed.js: host-side helper for Predictive Coding Playground embeds. No dependencies.
 *
 * 1. Auto-height: every playground iframe on the page gets the height its content reports.
 * 2. A tiny API for the page's own scripts:
 *      PCEmbed.send(iframe, "step", { n: 5 })        // queued until the widget is ready
 *      PCEmbed.on(function (event, iframe) { ... })  // ready, tick, settled, error, height
 * 3. A <pc-playground> element that writes the iframe for you:
 *      <pc-playground preset="diamond" variant="strict" panels="graph,plots" hide="rate"
 *        theme="dark" play="0" height="560"></pc-playground>
 *    Attributes (all optional): preset, variant, rate, speed, scale, panels, hide, theme,
 *    bg ("transparent"), play ("0"), id, origin, height (the first height, in px, before the
 *    widget reports its own), title, and src: the playground's address (default: the
 *    index.html one folder above this script, i.e. where the playground ships it).
 *    The iframe is sandboxed and lazy like the Embed dialog's snippet; PCEmbed.send takes
 *    the element or its iframe.
 * Messages are matched to iframes by event.source === iframe.contentWindow, so any number of
 * widgets can share a page. Protocol: { ns: "pc-playground", v: 1, type, ... } (see README).
 */
(function () {
  'use strict';
  var NS = 'pc-playground';
  var SCRIPT = document.currentScript && document.currentScript.src;
  var V = 1;
  var listeners = [];
  var state = typeof WeakMap === 'function' ? new WeakMap() : null;

  function info(frame) {
    if (!state) return { ready: false, queue: [] };
    var s = state.get(frame);
    if (!s) { s = { ready: false, queue: [] }; state.set(frame, s); }
    return s;
  }

  function frameOf(source) {
    if (!source) return null;
    var frames = document.getElementsByTagName('iframe');
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === source) return frames[i];
    }
    return null;
  }

  function post(frame, msg) {
    if (frame && frame.contentWindow) frame.contentWindow.postMessage(msg, '*');
  }

  window.addEventListener('message', function (e) {
    var d = e.data;
    if (!d || typeof d !== 'object' || d.ns !== NS || d.v !== V) return;
    var frame = frameOf(e.source);
    if (!frame) return;
    if (d.type === 'height') {
      var h = Number(d.height);
      if (isFinite(h) && h > 0 && h < 100000) frame.style.height = Math.ceil(h) + 'px';
    } else if (d.type === 'ready') {
      var s = info(frame);
      s.ready = true;
      var q = s.queue.splice(0);
      for (var i = 0; i < q.length; i++) post(frame, q[i]);
    }
    for (var j = 0; j < listeners.length; j++) {
      try { listeners[j](d, frame); } catch (err) { setTimeout(function () { throw err; }); }
    }
  });

  window.PCEmbed = {
    /** Send a command ("play", "pause", "step", "reset", "relax", "set", "goto", "learn", "highlight", "ping"). */
    send: function (frame, type, args) {
      if (frame && frame.tagName === 'PC-PLAYGROUND') frame = frame.querySelector('iframe');
      var msg = { ns: NS, v: V, type: type };
      if (args) for (var k in args) if (Object.prototype.hasOwnProperty.call(args, k)) msg[k] = args[k];
      var s = info(frame);
      if (s.ready || !state) post(frame, msg); else s.queue.push(msg);
    },
    /** Listen to every widget's events: fn(event, iframe). */
    on: function (fn) { listeners.push(fn); },
    /** Whether a widget has said it is ready. */
    isReady: function (frame) { return info(frame).ready; }
  };

  // <pc-playground …>: attribute → fragment key (see the README's fragment table)
  var KEYS = [['preset', 'p'], ['variant', 'var'], ['rate', 'eta'], ['speed', 'speed'],
    ['scale', 'scale'], ['play', 'play'], ['panels', 'panels'], ['theme', 'theme'],
    ['bg', 'bg'], ['hide', 'hide'], ['id', 'id'], ['origin', 'origin']];
  function fragment(el) {
    var parts = ['v=1', 'embed=1'];
    for (var i = 0; i < KEYS.length; i++) {
      var v = el.getAttribute(KEYS[i][0]);
      if (v !== null && v !== '') parts.push(KEYS[i][1] + '=' + encodeURIComponent(v).replace(/%2C/g, ','));
    }
    return '#' + parts.join('&');
  }
  function playgroundUrl(el) {
    var src = el.getAttribute('src');
    var base = src || (SCRIPT ? new URL('../index.html', SCRIPT).href : 'index.html');
    return base.split('#')[0] + fragment(el);
  }
  if (window.customElements && !window.customElements.get('pc-playground')) {
    window.customElements.define('pc-playground', class extends HTMLElement {
      connectedCallback() {
        if (this.querySelector('iframe')) return;
        var f = document.createElement('iframe');
        f.title = this.getAttribute('title') || 'Predictive Coding Playground';
        f.setAttribute('loading', 'lazy');
        f.setAttribute('sandbox', 'allow-scripts allow-popups allow-popups-to-escape-sandbox');
        var h = Number(this.getAttribute('height'));
        f.style.cssText = 'display:block;width:100%;border:0;height:' + (h > 0 ? h : 640) + 'px';
        f.src = playgroundUrl(this);
        this.style.display = 'block';
        this.appendChild(f);
      }
    });
  }
})();
