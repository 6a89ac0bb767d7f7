//! The animation-frame loop. [`Clock::start`] calls `on_frame(timestamp_ms)` once per
//! `requestAnimationFrame` until the clock is dropped. The state decides how many ticks fit in
//! the frame's time budget ([`TICK_BUDGET_MS`]), so the page never blocks.
use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::Callback;

/// At most this many milliseconds of ticks per animation frame.
pub const TICK_BUDGET_MS: f64 = 6.0;
/// At least this many milliseconds of ticks per frame while playing (progress on slow machines).
pub const TICK_BUDGET_MIN_MS: f64 = 0.5;
/// Target for all the work of one frame (ticks + view + plots), so the frame fits in 16.7 ms
/// with room for the browser's own style, layout and paint.
pub const FRAME_WORK_MS: f64 = 9.0;

thread_local! {
    static RENDER_END: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
    static PLOT_MS: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
    /// Whether the work running now belongs to an animation frame (its update and the render
    /// and plot effects that follow it in the same task) rather than to an event.
    static IN_FRAME: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Any message that is not a frame: its render does not count towards the frame's work.
pub fn leave_frame() {
    IN_FRAME.with(|c| c.set(false));
}

/// Record how long a plot redraw took (ms; see [`plot_ms`]).
pub fn note_plot(ms: f64) {
    PLOT_MS.with(|c| c.set(ms));
}

/// How long the last plot redraw took (ms).
pub fn plot_ms() -> f64 {
    PLOT_MS.with(|c| c.get())
}

/// Called when a render (or a plot draw) ends: the adaptive tick budget measures the
/// frame's work from the frame's start to the last of these marks.
pub fn mark_rendered() {
    if IN_FRAME.with(|c| c.get()) {
        let t = now();
        RENDER_END.with(|c| c.set(c.get().max(t)));
    }
}

/// The end of the latest render (see [`mark_rendered`]).
pub fn render_end() -> f64 {
    RENDER_END.with(|c| c.get())
}

/// Adapts the ticks per frame to the time budget: measures how long the previous frame's
/// work other than ticks took (Yew's render and the plots, which run after the frame's
/// update in the same task) and gives the ticks what is left of [`FRAME_WORK_MS`].
#[derive(Default)]
pub struct FrameBudget {
    start: f64,
    ticks_ms: f64,
    /// Smoothed cost of everything but the ticks (ms); fast up, slow down.
    pub render_ms: f64,
}

impl FrameBudget {
    /// At the start of a frame's update: returns the tick budget (ms) for this frame.
    pub fn begin(&mut self, t0: f64) -> f64 {
        let end = render_end();
        if self.start > 0.0 && end > self.start {
            let other = (end - self.start - self.ticks_ms).clamp(0.0, 200.0);
            let a = if other > self.render_ms { 0.5 } else { 0.1 };
            self.render_ms += a * (other - self.render_ms);
        }
        self.start = t0;
        self.ticks_ms = 0.0;
        IN_FRAME.with(|c| c.set(true));
        (FRAME_WORK_MS - self.render_ms).clamp(TICK_BUDGET_MIN_MS, TICK_BUDGET_MS)
    }

    /// After the ticks: how long they took.
    pub fn ticks_done(&mut self, t1: f64) {
        self.ticks_ms = (t1 - self.start).max(0.0);
    }
}

type FrameFn = Closure<dyn FnMut(f64)>;

pub struct Clock {
    handle: Rc<RefCell<Option<i32>>>,
    closure: Rc<RefCell<Option<FrameFn>>>,
}

impl Clock {
    pub fn start(on_frame: Callback<f64>) -> Clock {
        let handle: Rc<RefCell<Option<i32>>> = Rc::new(RefCell::new(None));
        let closure: Rc<RefCell<Option<FrameFn>>> = Rc::new(RefCell::new(None));
        let (h2, c2) = (handle.clone(), closure.clone());
        *closure.borrow_mut() = Some(Closure::new(move |ts: f64| {
            on_frame.emit(ts);
            if h2.borrow().is_none() {
                return; // stopped during the callback
            }
            if let Some(c) = c2.borrow().as_ref() {
                *h2.borrow_mut() = request(c);
            }
        }));
        if let Some(c) = closure.borrow().as_ref() {
            *handle.borrow_mut() = request(c);
        }
        Clock { handle, closure }
    }
}

fn request(c: &FrameFn) -> Option<i32> {
    web_sys::window()?
        .request_animation_frame(c.as_ref().unchecked_ref())
        .ok()
}

impl Drop for Clock {
    fn drop(&mut self) {
        if let Some(h) = self.handle.borrow_mut().take() {
            if let Some(w) = web_sys::window() {
                let _ = w.cancel_animation_frame(h);
            }
        }
        // Break the Rc cycle (the closure holds the handle); drop the closure later, not
        // while it may be running.
        if let Some(c) = self.closure.borrow_mut().take() {
            if let Some(w) = web_sys::window() {
                let f = Closure::once_into_js(move || drop(c));
                let _ = w.set_timeout_with_callback(f.unchecked_ref());
            }
        }
    }
}

thread_local! {
    /// `window.performance`, looked up once: the tick loop reads the clock often.
    static PERF: Option<web_sys::Performance> = web_sys::window().and_then(|w| w.performance());
}

thread_local! {
    /// Time spent per named part of the work (ms, count), for `scripts/perf.mjs`.
    static SPANS: RefCell<Vec<(&'static str, f64, u32)>> = const { RefCell::new(Vec::new()) };
}

/// Add `ms` to the span `name` (see [`spans`]).
pub fn add_span(name: &'static str, ms: f64) {
    SPANS.with(|s| {
        let mut s = s.borrow_mut();
        match s.iter_mut().find(|e| e.0 == name) {
            Some(e) => {
                e.1 += ms;
                e.2 += 1;
            }
            None => s.push((name, ms, 1)),
        }
    });
}

/// Run `f`, adding its duration to the span `name` (see [`spans`]).
pub fn span<R>(name: &'static str, f: impl FnOnce() -> R) -> R {
    let t0 = now();
    let r = f();
    add_span(name, now() - t0);
    r
}

/// The spans so far as a JS object `{name: [ms, count]}` (published in `window.__pc.spans`).
pub fn spans() -> JsValue {
    let o = js_sys::Object::new();
    SPANS.with(|s| {
        for (name, ms, n) in s.borrow().iter() {
            let a = js_sys::Array::of2(&JsValue::from_f64(*ms), &JsValue::from_f64(*n as f64));
            let _ = js_sys::Reflect::set(&o, &JsValue::from_str(name), &a);
        }
    });
    o.into()
}

/// `performance.now()` in milliseconds (0 when unavailable).
pub fn now() -> f64 {
    PERF.with(|p| p.as_ref().map_or(0.0, |p| p.now()))
}

/// Whether the visitor asked for reduced motion.
pub fn reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches())
}
