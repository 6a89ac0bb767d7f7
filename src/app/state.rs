//! The one app state and its reducer: commands in, new state out. Owns the engine session
//! (through [`Sim`]); components render it and send [`Cmd`]s, nothing else.
use std::rc::Rc;

use super::presets;
use super::sim::{GraphInfo, Series, Sim, Snap, Tick};
use super::text;
use super::text_teach;
use crate::engine::{GraphFile, Landscape, LearnReport, Start};

pub const VARIANTS: [&str; 4] = ["fixed", "strict", "zil", "fixed_eta1"];
pub const SPEED_MIN: f64 = 1.0;
pub const SPEED_MAX: f64 = 5000.0;
pub const RATE_MIN: f64 = 0.001;
pub const RATE_MAX: f64 = 3.0;
/// The learning step's rate: default and slider range (typed values may go beyond).
pub const LR_DEFAULT: f64 = 0.1;
pub const LR_MIN: f64 = 0.001;
pub const LR_MAX: f64 = 10.0;
/// Points per plot series.
pub const PLOT_POINTS: usize = 300;

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
    SetScale(ColourScale),
    /// One learning step on the graph's params from the current PC gradient estimate, then
    /// the run starts again from the new feedforward state.
    LearnStep,
    /// The learning step's rate `α`.
    SetLearnRate(f64),
    /// Where runs start: the feedforward values (the usual run) or a seeded random start.
    SetStart(Start),
    /// Release an input (node index; strict PC) or hold it at its data again; a new run.
    SetInputFree(usize, bool),
    /// Hold the output at the target (`true`, the usual run) or release it from the current
    /// tick on; the run goes on from here (and replays with the release at this tick).
    SetOutputClamp(bool),
    /// Keep the current run's curves as a faint comparison in the plots (`None`: drop it).
    KeepRun(bool),
    /// Colour theme of the page (the toggle in the chrome, or an embed's `theme=`).
    SetTheme(Theme),
    /// Show the node values as an accessible table instead of the picture.
    ShowTable(bool),
    DismissAlert,
    /// Teaching layer: replace the graph (typed, imported or an example); on error the old
    /// graph stays and an alert says why.
    LoadGraph(Rc<GraphFile>),
    /// Teaching layer: pause and show the state at this tick of the current run (re-run).
    ScrubTo(usize),
    /// Teaching layer: download the graph, plots or trace.
    Export(super::export::ExportKind),
    /// Slow motion (see `slowmo`).
    Slow(super::slowmo::SlowCmd),
}

/// A run kept for comparison: its curves and what it was (variant and rate).
#[derive(Clone, Debug, PartialEq)]
pub struct KeptRun {
    pub label: String,
    pub series: Rc<Series>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Idle,
    Running,
    Settled,
    Finished,
    Diverged,
}

/// The page's colour theme: light, dark, or the system's (`prefers-color-scheme`); the same
/// type the share link carries.
pub use crate::share_codec::{ColourScale, Theme};

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
    /// Colour theme (see [`Theme`]); `a11y` applies it as `data-theme` on `<html>`.
    pub theme: Theme,
    /// Table view instead of the picture.
    pub table: bool,
    pub scale: ColourScale,
    /// The learning step's rate `α`, and what the last step did (cleared with a new graph).
    pub lr: f64,
    pub learned: Option<Rc<LearnReport>>,
    /// A kept run drawn faintly under the live curves (same graph; dropped with a new graph).
    pub kept: Option<Rc<KeptRun>>,
    /// Nodes lit by the host page (`highlight` message), the rest dimmed; empty: none.
    pub highlight: Vec<usize>,
    /// The loss landscape around the current params (graphs with one or two scalar params),
    /// recomputed when the graph or its data change.
    pub landscape: Option<Rc<Landscape>>,
    pub snap: Rc<Snap>,
    pub series: Rc<Series>,
    /// Slow motion, while walking through one relaxation.
    pub slow: Option<super::slowmo::Slow>,
    debt: f64,
    /// The current graph as a file (what the editor shows and compares with).
    pub file: Rc<GraphFile>,
    /// The graph `file` describes; any other code path that swaps the graph (a link, …) is
    /// noticed in `refresh` and `file` follows.
    file_for: Rc<GraphInfo>,
    /// Replay: the furthest tick of the current run, and the plot series up to it.
    pub replay_max: usize,
    /// The plot series of the run up to `replay_max`, computed at the first scrub (by
    /// re-running to `replay_max`) and kept until the run grows or changes.
    replay_series: Option<Rc<Series>>,
    /// `series` lags the engine: it is rebuilt only when a view asks ([`AppState::fresh_series`]),
    /// at most at the plot rate while playing, not on every frame.
    series_stale: bool,
    /// Replay: the scrubbed tick while the scrubber holds the state (plots show a marker).
    pub scrub: Option<usize>,
    /// The visitor prefers reduced motion: nothing starts playing by itself (a graph loaded
    /// from the editor or an import stays paused). Kept in step by the app.
    pub reduced_motion: bool,
    /// Where runs start (kept across graphs, variants and data).
    pub start: Start,
}

impl AppState {
    pub fn new(autoplay: bool) -> AppState {
        let key = presets::default_key();
        let p = presets::get(key).expect("default preset");
        let sim = Sim::new(p.json, "fixed", f64::NAN).expect("the default preset loads");
        let eta = sim.eta();
        let file = Rc::new(sim.graph_file());
        let file_for = sim.info();
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
            theme: Theme::Auto,
            table: false,
            scale: ColourScale::Node,
            lr: LR_DEFAULT,
            learned: None,
            kept: None,
            highlight: vec![],
            landscape: None,
            slow: None,
            debt: 0.0,
            file,
            file_for,
            replay_max: 0,
            replay_series: None,
            series_stale: false,
            scrub: None,
            reduced_motion: false,
            start: Start::Feedforward,
        };
        st.refresh();
        st.update_landscape();
        if autoplay {
            st.status = Status::Running;
        }
        st
    }

    pub(super) fn refresh(&mut self) {
        if !Rc::ptr_eq(&self.file_for, &self.info) {
            // a new graph: the editor follows it, and the old run cannot be replayed
            self.file = Rc::new(self.sim.graph_file());
            self.file_for = self.info.clone();
            self.forget_replay();
        }
        self.snap = Rc::new(self.sim.snapshot());
        self.series_stale = true;
        self.scrub = None;
        if self.snap.step >= self.replay_max {
            self.replay_max = self.snap.step;
            self.replay_series = None;
        }
    }

    /// The plot series of the engine's current history (rebuilt only if the engine moved since).
    pub fn fresh_series(&mut self) -> Rc<Series> {
        if self.series_stale {
            self.series = Rc::new(self.sim.series(PLOT_POINTS));
            self.series_stale = false;
        }
        self.series.clone()
    }

    /// A new graph or new data: the old run cannot be replayed any more.
    fn forget_replay(&mut self) {
        self.replay_max = 0;
        self.replay_series = None;
    }

    /// The reducer. Returns whether anything visible changed.
    pub fn apply(&mut self, cmd: Cmd) -> bool {
        // anything that changes the run leaves slow motion
        if !matches!(
            cmd,
            Cmd::Slow(_)
                | Cmd::SetSpeed(_)
                | Cmd::SetScale(_)
                | Cmd::SetLearnRate(_)
                | Cmd::KeepRun(_)
                | Cmd::DismissAlert
                | Cmd::Pause
                | Cmd::Export(_)
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
                self.forget_replay();
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
                let bound = self.sim.stable_bound();
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
                        self.graph_replaced();
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
            Cmd::SetScale(c) => {
                self.scale = c;
                true
            }
            Cmd::SetStart(start) => {
                self.start = start;
                self.sim.set_start(start);
                self.new_run();
                self.alert = None;
                true
            }
            Cmd::SetInputFree(node, free) => {
                match self.sim.set_input_free(node, free) {
                    Ok(()) => {
                        self.alert = None;
                        self.new_run();
                    }
                    Err(e) => self.alert = Some(e),
                }
                true
            }
            Cmd::SetOutputClamp(clamped) => {
                if self.status == Status::Diverged {
                    return false;
                }
                if let Err(e) = self.sim.set_output_clamped(clamped) {
                    self.alert = Some(e);
                    return true;
                }
                self.alert = None;
                // the run differs from here on: what lay beyond this tick cannot be replayed
                let step = self.sim.step();
                self.replay_max = step;
                self.replay_series = None;
                // a run that stopped because it settled goes on by itself (the lesson is what
                // happens next); a paused one waits for Play
                if self.status == Status::Settled && !self.reduced_motion {
                    self.playing = true;
                }
                self.status = if self.playing {
                    Status::Running
                } else {
                    Status::Idle
                };
                self.refresh();
                true
            }
            Cmd::SetLearnRate(lr) => {
                if !(lr.is_finite() && lr > 0.0) {
                    self.alert = Some(text::bad_learn_rate());
                    return true;
                }
                self.lr = lr;
                true
            }
            Cmd::KeepRun(keep) => {
                self.kept = None;
                if keep {
                    let series = self.fresh_series();
                    if series.steps.len() < 2 {
                        self.alert = Some(text::KEEP_EMPTY.into());
                    } else {
                        self.kept = Some(Rc::new(KeptRun {
                            label: text::kept_label(
                                &self.variant,
                                self.eta,
                                self.uses_rate(),
                                self.snap.loss,
                                &series.clamps,
                            ),
                            series,
                        }));
                    }
                }
                true
            }
            Cmd::LearnStep => {
                if self.status == Status::Diverged {
                    return false;
                }
                match self.sim.learn_step(self.lr) {
                    Ok(r) => {
                        self.learned = Some(Rc::new(r));
                        self.alert = None;
                        self.after_data_change();
                    }
                    Err(e) => self.alert = Some(text::learn_refused(&e)),
                }
                true
            }
            Cmd::SetTheme(t) => {
                let changed = self.theme != t;
                self.theme = t;
                changed
            }
            Cmd::ShowTable(on) => {
                let changed = self.table != on;
                self.table = on;
                changed
            }
            Cmd::DismissAlert => {
                self.alert = None;
                true
            }
            Cmd::LoadGraph(file) => {
                let json = serde_json::to_string_pretty(&*file).unwrap_or_default();
                match Sim::new(&json, &self.variant, f64::NAN) {
                    Ok(sim) => {
                        self.sim = sim;
                        self.info = self.sim.info();
                        self.eta = self.sim.eta();
                        self.file = file;
                        self.file_for = self.info.clone();
                        self.preset = text_teach::CUSTOM_KEY.to_string();
                        self.alert = None;
                        self.graph_replaced();
                        self.forget_replay();
                        self.status = Status::Idle;
                        self.refresh();
                        // a new graph relaxes by itself, unless the visitor prefers
                        // reduced motion (then it waits for Play, like the first screen)
                        self.turbo = false;
                        self.playing = !self.reduced_motion;
                        if self.playing {
                            self.status = Status::Running;
                        }
                    }
                    Err(e) => self.alert = Some(text_teach::bad_graph(&e)),
                }
                true
            }
            Cmd::ScrubTo(k) => {
                self.playing = false;
                self.turbo = false;
                self.debt = 0.0;
                let k = k.min(self.replay_max);
                let whole = match &self.replay_series {
                    Some(s) => s.clone(),
                    None => {
                        // the whole run's curves, once: re-run to its end (deterministic)
                        self.sim.replay_to(self.replay_max);
                        let s = Rc::new(self.sim.series(PLOT_POINTS));
                        self.replay_series = Some(s.clone());
                        s
                    }
                };
                self.sim.replay_to(k);
                self.snap = Rc::new(self.sim.snapshot());
                self.series = whole;
                self.series_stale = false;
                self.scrub = Some(self.snap.step);
                self.status = if self.snap.step >= self.replay_max && self.snap.step > 0 {
                    match self.status {
                        Status::Settled | Status::Finished | Status::Diverged => self.status,
                        _ => Status::Idle,
                    }
                } else {
                    Status::Idle
                };
                true
            }
            Cmd::Export(kind) => {
                let series = self.fresh_series();
                super::export::export(kind, self, &series);
                false
            }
        }
    }

    /// Whether the current variant uses the rate η (Z-IL and fixed-η=1 fix it at 1).
    pub fn uses_rate(&self) -> bool {
        matches!(self.variant.as_str(), "fixed" | "strict")
    }

    /// A new graph: what belonged to the old one goes (the last learning step, the kept run,
    /// the host's highlight) and the landscape is recomputed.
    pub(super) fn graph_replaced(&mut self) {
        if self.start != Start::Feedforward {
            self.sim.set_start(self.start);
            self.refresh();
        }
        self.learned = None;
        self.kept = None;
        self.highlight.clear();
        self.update_landscape();
    }

    /// Recompute the loss landscape (after the graph or its data changed).
    pub(super) fn update_landscape(&mut self) {
        self.landscape = self.sim.landscape().map(Rc::new);
    }

    fn after_data_change(&mut self) {
        self.update_landscape();
        self.new_run();
    }

    /// A run from tick 0 with what changed (data, start): the old run cannot be replayed, a
    /// diverged one is over, and playing goes on.
    fn new_run(&mut self) {
        self.forget_replay();
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
            // the clock is read every 8th tick (a tick of a small graph costs less than the read)
            while !n.is_multiple_of(8) || now() - start < budget_ms {
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
                if n.is_multiple_of(8) && now() - start > budget_ms {
                    // cannot keep up: drop the rest rather than block the page
                    self.debt = self.debt.min(1.0);
                    break;
                }
            }
        }
        if n > 0 {
            self.refresh();
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
