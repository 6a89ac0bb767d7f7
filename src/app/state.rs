//! The one app state and its reducer: commands in, new state out. Owns the engine session
//! (through [`Sim`]); components render it and send [`Cmd`]s, nothing else.
use std::rc::Rc;

use super::presets;
use super::sim::{GraphInfo, Series, Sim, Snap, Tick};
use super::text;

pub const VARIANTS: [&str; 4] = ["fixed", "strict", "zil", "fixed_eta1"];
pub const SPEED_MIN: f64 = 1.0;
pub const SPEED_MAX: f64 = 5000.0;
pub const RATE_MIN: f64 = 0.001;
pub const RATE_MAX: f64 = 3.0;
/// Points per plot series.
pub const PLOT_POINTS: usize = 600;

#[derive(Clone, Debug, PartialEq)]
pub enum Cmd {
    TogglePlay,
    Play,
    Pause,
    Step,
    Relax,
    Reset,
    SetSpeed(f64),
    SetVariant(String),
    SetRate(f64),
    /// node index, element index, value
    SetLeaf(usize, usize, f64),
    /// element index, value
    SetTarget(usize, f64),
    SetPreset(String),
    SetGlobalScale(bool),
    DismissAlert,
    /// Slow motion (see `slowmo`).
    Slow(super::slowmo::SlowCmd),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Idle,
    Running,
    Settled,
    Finished,
    Diverged,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Idle => "paused",
            Status::Running => "running",
            Status::Settled => "settled",
            Status::Finished => "finished",
            Status::Diverged => "diverged",
        }
    }
}

pub struct AppState {
    pub sim: Sim,
    pub info: Rc<GraphInfo>,
    pub preset: String,
    pub variant: String,
    pub eta: f64,
    pub speed: f64,
    pub playing: bool,
    /// Relax: run as fast as the frame budget allows until settled.
    pub turbo: bool,
    pub status: Status,
    pub alert: Option<String>,
    pub global_scale: bool,
    pub snap: Rc<Snap>,
    pub series: Rc<Series>,
    /// Slow motion, while walking through one relaxation.
    pub slow: Option<super::slowmo::Slow>,
    debt: f64,
    /// `series` lags the engine (frames skip it; see [`AppState::sync_series`]).
    series_stale: bool,
}

impl AppState {
    pub fn new(autoplay: bool) -> AppState {
        let key = presets::default_key();
        let p = presets::get(key).expect("default preset");
        let sim = Sim::new(p.json, "fixed", f64::NAN).expect("the default preset loads");
        let eta = sim.eta();
        let mut st = AppState {
            info: sim.info(),
            snap: Rc::new(sim.snapshot()),
            series: Rc::new(sim.series(PLOT_POINTS)),
            sim,
            preset: key.to_string(),
            variant: "fixed".into(),
            eta,
            speed: presets::DEFAULT_SPEED,
            playing: autoplay,
            turbo: false,
            status: Status::Idle,
            alert: None,
            global_scale: false,
            slow: None,
            debt: 0.0,
            series_stale: false,
        };
        st.refresh();
        if autoplay {
            st.status = Status::Running;
        }
        st
    }

    pub(super) fn refresh(&mut self) {
        self.snap = Rc::new(self.sim.snapshot());
        self.series = Rc::new(self.sim.series(PLOT_POINTS));
        self.series_stale = false;
    }

    /// Bring `series` up to date after frames that skipped it; returns whether it changed.
    pub fn sync_series(&mut self) -> bool {
        if !self.series_stale {
            return false;
        }
        self.series = Rc::new(self.sim.series(PLOT_POINTS));
        self.series_stale = false;
        true
    }

    /// The reducer. Returns whether anything visible changed.
    pub fn apply(&mut self, cmd: Cmd) -> bool {
        // anything that changes the run leaves slow motion
        if !matches!(
            cmd,
            Cmd::Slow(_)
                | Cmd::SetSpeed(_)
                | Cmd::SetGlobalScale(_)
                | Cmd::DismissAlert
                | Cmd::Pause
        ) {
            self.slow = None;
        }
        match cmd {
            Cmd::Slow(c) => super::slowmo::apply(self, c),
            Cmd::TogglePlay => {
                if self.playing {
                    self.apply(Cmd::Pause)
                } else {
                    self.apply(Cmd::Play)
                }
            }
            Cmd::Play => {
                if self.status == Status::Diverged {
                    return false;
                }
                if matches!(self.status, Status::Settled | Status::Finished) {
                    // play again from the start: the story is the relaxation itself
                    self.reset_run();
                }
                self.playing = true;
                self.turbo = false;
                self.status = Status::Running;
                true
            }
            Cmd::Pause => {
                self.playing = false;
                self.turbo = false;
                if self.status == Status::Running {
                    self.status = Status::Idle;
                }
                true
            }
            Cmd::Step => {
                if self.status == Status::Diverged {
                    return false;
                }
                self.playing = false;
                self.turbo = false;
                self.status = Status::Idle;
                self.tick_once();
                self.refresh();
                true
            }
            Cmd::Relax => {
                if self.status == Status::Diverged {
                    return false;
                }
                if matches!(self.status, Status::Settled | Status::Finished) {
                    return false;
                }
                self.playing = true;
                self.turbo = true;
                self.status = Status::Running;
                true
            }
            Cmd::Reset => {
                self.reset_run();
                self.playing = false;
                self.turbo = false;
                self.status = Status::Idle;
                true
            }
            Cmd::SetSpeed(s) => {
                if s.is_finite() {
                    self.speed = s.clamp(SPEED_MIN, SPEED_MAX);
                }
                true
            }
            Cmd::SetVariant(v) => {
                let Some(v) = VARIANTS.iter().find(|k| **k == v) else {
                    return false;
                };
                self.variant = v.to_string();
                self.sim.set_variant(v);
                self.reset_run();
                true
            }
            Cmd::SetRate(eta) => {
                if !eta.is_finite() || eta <= 0.0 {
                    self.alert = Some(text::bad_number(text::RATE));
                    return true;
                }
                self.eta = eta;
                self.sim.set_eta(eta);
                let bound = self.info.stable_bound;
                if self.uses_rate() && eta >= bound {
                    self.playing = false;
                    self.turbo = false;
                    self.status = Status::Diverged;
                    self.alert = Some(text::unstable_rate(eta, bound));
                } else {
                    if self.status == Status::Diverged {
                        self.reset_run();
                        self.status = Status::Idle;
                    }
                    self.alert = None;
                }
                true
            }
            Cmd::SetLeaf(node, k, x) => {
                if !x.is_finite() {
                    self.alert = Some(text::bad_number(&self.info.nodes[node].id));
                    return true;
                }
                match self.sim.set_leaf(node, k, x) {
                    Ok(()) => {
                        self.after_data_change();
                    }
                    Err(e) => self.alert = Some(e),
                }
                true
            }
            Cmd::SetTarget(k, x) => {
                if !x.is_finite() {
                    self.alert = Some(text::bad_number(text::TARGET));
                    return true;
                }
                match self.sim.set_target(k, x) {
                    Ok(()) => self.after_data_change(),
                    Err(e) => self.alert = Some(e),
                }
                true
            }
            Cmd::SetPreset(key) => {
                let Some(p) = presets::get(&key) else {
                    self.alert = Some(text::bad_preset(&key, "unknown"));
                    return true;
                };
                match Sim::new(p.json, &self.variant, f64::NAN) {
                    Ok(sim) => {
                        self.sim = sim;
                        self.info = self.sim.info();
                        self.preset = key;
                        self.eta = self.sim.eta();
                        self.alert = None;
                        self.status = Status::Idle;
                        self.refresh();
                        if self.playing {
                            self.status = Status::Running;
                        }
                    }
                    Err(e) => self.alert = Some(text::bad_preset(&key, &e)),
                }
                true
            }
            Cmd::SetGlobalScale(g) => {
                self.global_scale = g;
                true
            }
            Cmd::DismissAlert => {
                self.alert = None;
                true
            }
        }
    }

    /// Whether the current variant uses the rate η (Z-IL and fixed-η=1 fix it at 1).
    pub fn uses_rate(&self) -> bool {
        matches!(self.variant.as_str(), "fixed" | "strict")
    }

    fn after_data_change(&mut self) {
        let was_diverged = self.status == Status::Diverged;
        self.reset_run();
        if was_diverged {
            self.status = Status::Idle;
        }
        if self.playing {
            self.status = Status::Running;
        }
    }

    pub(super) fn reset_run(&mut self) {
        self.sim.reset();
        self.debt = 0.0;
        if self.status != Status::Diverged {
            self.status = Status::Idle;
        }
        self.refresh();
    }

    /// One tick, with the guard. Returns false when the run must stop.
    pub(super) fn tick_once(&mut self) -> bool {
        match self.sim.tick() {
            Tick::Running => true,
            Tick::Settled => {
                self.stop(Status::Settled);
                false
            }
            Tick::Finished => {
                self.stop(Status::Finished);
                false
            }
            Tick::Diverged(msg) => {
                self.stop(Status::Diverged);
                self.alert = Some(text::diverged(&msg));
                false
            }
        }
    }

    fn stop(&mut self, s: Status) {
        self.playing = false;
        self.turbo = false;
        self.status = s;
    }

    /// Advance by one animation frame of `dt_ms`; `now` reads a millisecond clock and
    /// `budget_ms` bounds the time spent in ticks. Returns the number of ticks run.
    pub fn advance(&mut self, dt_ms: f64, budget_ms: f64, now: &dyn Fn() -> f64) -> usize {
        if !self.playing {
            self.debt = 0.0;
            return 0;
        }
        let start = now();
        let mut n = 0usize;
        if self.turbo {
            while now() - start < budget_ms {
                n += 1;
                if !self.tick_once() || n >= 100_000 {
                    break;
                }
            }
        } else {
            self.debt += self.speed * dt_ms.clamp(0.0, 100.0) / 1000.0;
            while self.debt >= 1.0 {
                self.debt -= 1.0;
                n += 1;
                if !self.tick_once() {
                    break;
                }
                if now() - start > budget_ms {
                    // cannot keep up: drop the rest rather than block the page
                    self.debt = self.debt.min(1.0);
                    break;
                }
            }
        }
        if n > 0 {
            // the plot series is rebuilt only when the plots are drawn (`sync_series`)
            self.snap = Rc::new(self.sim.snapshot());
            self.series_stale = true;
        }
        n
    }

    pub fn settled_like(&self) -> bool {
        matches!(self.status, Status::Settled | Status::Finished)
    }

    /// Run up to `n` ticks at once (paused afterwards; stops early when the run stops).
    /// Returns the ticks run. Used by the embed API's `step {n}` and `goto {tick}`.
    pub fn run_ticks(&mut self, n: usize) -> usize {
        if self.status == Status::Diverged || n == 0 {
            return 0;
        }
        self.playing = false;
        self.turbo = false;
        self.status = Status::Idle;
        let mut done = 0;
        while done < n {
            done += 1;
            if !self.tick_once() {
                break;
            }
        }
        self.refresh();
        done
    }
}
