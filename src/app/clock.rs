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

/// `performance.now()` in milliseconds (0 when unavailable).
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
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
