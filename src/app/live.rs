//! The text rate without a page render: what changes on screen at the text rate while playing
//! (the iteration counter, the stats, the replay scrubber, the plots) is fed to those
//! components directly through a [`TextFeed`], so the App does not re-render (and Yew does not
//! reconcile the whole page) a few times a second just to move a few numbers.
//!
//! The App owns the feed and pushes into it after every message ([`TextFeed::push`] compares
//! by identity and notifies only when something changed); each live component subscribes on
//! mount ([`use_text`]) and re-renders on its own. The App still re-renders on commands and
//! whenever anything else changes (`mod.rs`, `text_only`).
use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use super::sim::{GraphInfo, Series, Snap};
use super::state::Cmd;
use super::text::{self, full, num, sci};

/// What the live components show: the text snapshot, the plots' series and graph, and the
/// furthest tick of the run (the scrubber's end).
#[derive(Clone)]
pub struct TextNow {
    pub info: Rc<GraphInfo>,
    pub snap: Rc<Snap>,
    pub series: Rc<Series>,
    pub replay_max: usize,
    pub scrubbing: bool,
}

impl TextNow {
    fn same(&self, o: &TextNow) -> bool {
        Rc::ptr_eq(&self.info, &o.info)
            && Rc::ptr_eq(&self.snap, &o.snap)
            && Rc::ptr_eq(&self.series, &o.series)
            && self.replay_max == o.replay_max
            && self.scrubbing == o.scrubbing
    }
}

struct Inner {
    now: TextNow,
    subs: Vec<(u32, Callback<()>)>,
    next_id: u32,
    /// When the last push that notified someone happened, and when the last subscriber's
    /// render after it ended (the cost of a text update, see [`TextFeed::take_cost`]).
    pushed_at: Option<f64>,
    rendered_at: f64,
}

/// The channel from the App to its live components. Clones share one state; props compare by
/// identity, so a component that takes the feed never re-renders because the App did.
#[derive(Clone)]
pub struct TextFeed(Rc<RefCell<Inner>>);

impl PartialEq for TextFeed {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.0, &o.0)
    }
}

impl TextFeed {
    pub fn new(now: TextNow) -> TextFeed {
        TextFeed(Rc::new(RefCell::new(Inner {
            now,
            subs: vec![],
            next_id: 0,
            pushed_at: None,
            rendered_at: 0.0,
        })))
    }

    /// What the live components show now.
    pub fn now(&self) -> TextNow {
        self.0.borrow().now.clone()
    }

    /// Hand `now` to the live components; returns whether it differed from what they show
    /// (they then re-render, each on its own). `timed`: the start of the frame whose text
    /// update this is (without a page render), to measure what it costs ([`take_cost`]).
    ///
    /// [`take_cost`]: TextFeed::take_cost
    pub fn push(&self, now: TextNow, timed: Option<f64>) -> bool {
        let subs = {
            let mut i = self.0.borrow_mut();
            if i.now.same(&now) {
                return false;
            }
            i.now = now;
            i.pushed_at = timed;
            i.subs.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>()
        };
        for c in subs {
            c.emit(());
        }
        true
    }

    /// How many components follow the feed now (each unsubscribes when it unmounts).
    pub fn subscribers(&self) -> usize {
        self.0.borrow().subs.len()
    }

    fn subscribe(&self, cb: Callback<()>) -> u32 {
        let mut i = self.0.borrow_mut();
        let id = i.next_id;
        i.next_id += 1;
        i.subs.push((id, cb));
        id
    }

    fn unsubscribe(&self, id: u32) {
        self.0.borrow_mut().subs.retain(|(k, _)| *k != id);
    }

    fn rendered(&self, t: f64) {
        let mut i = self.0.borrow_mut();
        i.rendered_at = i.rendered_at.max(t);
    }

    /// The script time of the last push's renders (from the push to the last live
    /// component's render), once; `None` if there was none since the last call.
    pub fn take_cost(&self) -> Option<f64> {
        let mut i = self.0.borrow_mut();
        let t0 = i.pushed_at?;
        (i.rendered_at >= t0).then(|| {
            i.pushed_at = None;
            i.rendered_at - t0
        })
    }
}

/// Subscribe the calling component to `feed` and return what it should show.
#[hook]
pub fn use_text(feed: &TextFeed) -> TextNow {
    let update = use_force_update();
    use_effect_with(feed.clone(), move |f| {
        let id = f.subscribe(Callback::from(move |()| update.force_update()));
        let f = f.clone();
        move || f.unsubscribe(id)
    });
    {
        let feed = feed.clone();
        use_effect(move || {
            let t = super::clock::now();
            feed.rendered(t);
            super::clock::mark_rendered();
        });
    }
    feed.now()
}

/// Which text-rate piece a [`Live`] component draws.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Piece {
    /// The iteration counter (in the transport bar).
    Counter,
    /// The overall gap, energy and loss under the graph.
    Stats,
    /// The replay scrubber over the run so far.
    Replay,
}

#[derive(Properties, PartialEq)]
pub struct LiveProps {
    pub feed: TextFeed,
    pub piece: Piece,
    /// The scrubber's commands.
    #[prop_or_default]
    pub on_cmd: Callback<Cmd>,
}

/// A small piece of text that follows the feed (one component type for the three pieces:
/// each function component costs its own copy of Yew's lifecycle code in the wasm).
#[function_component(Live)]
pub fn live(p: &LiveProps) -> Html {
    let t = use_text(&p.feed);
    let s = &t.snap;
    match p.piece {
        Piece::Counter => html! { <output id="iter" aria-live="off">{ s.step }</output> },
        Piece::Stats => html! {
            <div class="stats" aria-live="off">
                <span>{ text::GAP_OVERALL }{ " " }<output id="gap-overall" data-value={full(s.gap_overall())}>{ sci(s.gap_overall()) }</output></span>
                <span>{ "energy F " }<output id="energy">{ num(s.energy) }</output></span>
                <span>{ "loss L " }<output id="loss">{ num(s.loss) }</output></span>
            </div>
        },
        Piece::Replay => super::replay::bar(s.step, t.replay_max, t.scrubbing, &p.on_cmd),
    }
}
