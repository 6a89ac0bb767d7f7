//! State in the URL: maps between the app state and a share link ([`crate::share_codec`]), and
//! reads and writes `location` (the fragment is updated with `history.replaceState`, so changes
//! never add history entries).
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use wasm_bindgen::JsValue;

use crate::engine::{Graph, Start};
use crate::share_codec::{self as codec, notice, Link, Model, Source, View, SHOWING_DEFAULT};

use super::presets::{self, Preset};
use super::sim::Sim;
use super::state::{AppState, Cmd, Status, VARIANTS};

/// The `preset` value of the state while a custom graph (from a link) is shown.
pub const CUSTOM: &str = "custom";

/// Built-in graph keys that were renamed: old links keep working.
const PRESET_ALIASES: [(&str, &str); 2] = [("paper", "millidge"), ("millidge", "paper")];
/// Variant names of the engine and of older links.
const VARIANT_ALIASES: [(&str, &str); 4] = [
    ("fixed_pred", "fixed"),
    ("fixed_prediction", "fixed"),
    ("fixed_pred_eta1", "fixed_eta1"),
    ("z-il", "zil"),
];

pub fn resolve_preset(key: &str) -> Option<&'static Preset> {
    presets::get(key).or_else(|| {
        PRESET_ALIASES
            .iter()
            .find(|(a, _)| *a == key)
            .and_then(|(_, b)| presets::get(b))
    })
}

fn resolve_variant(key: &str) -> Option<&'static str> {
    let k = VARIANT_ALIASES
        .iter()
        .find(|(a, _)| *a == key)
        .map_or(key, |(_, b)| b);
    VARIANTS.iter().copied().find(|v| *v == k)
}

// ---------------------------------------------------------------------------------------------
// location

fn location() -> Option<web_sys::Location> {
    web_sys::window().map(|w| w.location())
}

/// The current fragment without `#` ("" when none).
pub fn current_fragment() -> String {
    let h = location().and_then(|l| l.hash().ok()).unwrap_or_default();
    h.strip_prefix('#').unwrap_or(&h).to_string()
}

/// `?embed` (or `?embed=1`) in the query also turns embed mode on.
pub fn query_embed() -> bool {
    let s = location().and_then(|l| l.search().ok()).unwrap_or_default();
    s.trim_start_matches('?').split('&').any(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, "1"));
        k == "embed" && !matches!(v, "0" | "false" | "no")
    })
}

/// The page address without query embed flag and fragment: origin + path (+ other query).
pub fn base_url() -> String {
    let Some(l) = location() else {
        return String::new();
    };
    let href = l.href().unwrap_or_default();
    let no_hash = href.split('#').next().unwrap_or("").to_string();
    let (path, query) = match no_hash.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (no_hash, String::new()),
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some("embed"))
        .collect();
    if kept.is_empty() {
        path
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// Replace the fragment without a history entry. Errors (e.g. odd sandboxes) are ignored.
pub fn replace_fragment(frag: &str) {
    if current_fragment() == frag {
        return;
    }
    let Some(w) = web_sys::window() else { return };
    let Ok(h) = w.history() else { return };
    let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&format!("#{frag}")));
}

// ---------------------------------------------------------------------------------------------
// link → state

/// Apply a link's model to a fresh state. On error the state may be half-changed: the caller
/// starts again from the default and shows the notice.
pub fn apply_model(st: &mut AppState, m: &Model) -> Result<(), String> {
    match &m.source {
        Source::Default => {}
        Source::Preset(k) => {
            let p = resolve_preset(k)
                .ok_or_else(|| notice("graph", k, "is not a built-in graph", SHOWING_DEFAULT))?;
            if p.key != st.preset {
                st.apply(Cmd::SetPreset(p.key.to_string()));
                if st.preset != p.key {
                    return Err(notice("graph", k, "could not be loaded", SHOWING_DEFAULT));
                }
            }
        }
        Source::Graph(json) => load_custom(st, json).map_err(|e| {
            format!(
                "The link's custom graph could not be loaded ({}); {SHOWING_DEFAULT}.",
                e.trim_end_matches('.')
            )
        })?,
    }
    if let Some(v) = &m.variant {
        let key = resolve_variant(v).ok_or_else(|| {
            notice(
                "variant",
                v,
                &format!("is not one of {}", VARIANTS.join(", ")),
                SHOWING_DEFAULT,
            )
        })?;
        st.apply(Cmd::SetVariant(key.to_string()));
    }
    if let Some(s) = m.speed {
        st.apply(Cmd::SetSpeed(s));
    }
    for (id, vals) in &m.leaves {
        let Some(i) = st
            .info
            .nodes
            .iter()
            .position(|n| n.is_leaf() && &n.id == id)
        else {
            return Err(notice(
                "input",
                id,
                "is not an input or parameter of this graph",
                SHOWING_DEFAULT,
            ));
        };
        let len = st.info.nodes[i].len;
        if vals.len() != len {
            return Err(notice(
                "input",
                id,
                &format!("has {} values but the node holds {len}", vals.len()),
                SHOWING_DEFAULT,
            ));
        }
        for (k, &x) in vals.iter().enumerate() {
            st.apply(Cmd::SetLeaf(i, k, x));
            if let Some(a) = st.alert.take() {
                return Err(notice(
                    "input",
                    id,
                    &format!("was refused ({a})"),
                    SHOWING_DEFAULT,
                ));
            }
        }
    }
    if let Some(t) = &m.target {
        let len = st.sim.target().len();
        if t.len() != len {
            return Err(notice(
                "target",
                &t.iter()
                    .map(|x| codec::fmt_num(*x))
                    .collect::<Vec<_>>()
                    .join(";"),
                &format!("has {} values but the output holds {len}", t.len()),
                SHOWING_DEFAULT,
            ));
        }
        for (k, &x) in t.iter().enumerate() {
            st.apply(Cmd::SetTarget(k, x));
            if let Some(a) = st.alert.take() {
                return Err(notice(
                    "target",
                    &codec::fmt_num(x),
                    &format!("was refused ({a})"),
                    SHOWING_DEFAULT,
                ));
            }
        }
    }
    if let Some(k) = m.random_start {
        st.apply(Cmd::SetStart(Start::Random(k)));
    }
    for id in &m.free_inputs {
        let Some(i) = st.info.nodes.iter().position(|n| &n.id == id) else {
            return Err(notice(
                "free input",
                id,
                "is not a node of this graph",
                SHOWING_DEFAULT,
            ));
        };
        st.apply(Cmd::SetInputFree(i, true));
        if let Some(a) = st.alert.take() {
            return Err(notice(
                "free input",
                id,
                &format!("was refused ({a})"),
                SHOWING_DEFAULT,
            ));
        }
    }
    // last: a rate at or above the stable limit is a valid link (it shows the guard)
    if let Some(eta) = m.eta {
        st.apply(Cmd::SetRate(eta));
    }
    st.apply(Cmd::SetScale(m.scale));
    Ok(())
}

/// Show a custom graph file (from a link).
pub fn load_custom(st: &mut AppState, json: &str) -> Result<(), String> {
    let sim = Sim::new(json, &st.variant, f64::NAN)?;
    st.sim = sim;
    st.info = st.sim.info();
    st.preset = CUSTOM.to_string();
    st.eta = st.sim.eta();
    st.slow = None;
    st.alert = None;
    st.status = Status::Idle;
    st.refresh();
    st.graph_replaced();
    if st.playing {
        st.status = Status::Running;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// state → link

/// A built-in graph's own leaf values (by id) and target.
struct Defaults {
    leaves: HashMap<String, Vec<f64>>,
    target: Vec<f64>,
    eta: f64,
}

thread_local! {
    static DEFAULTS: RefCell<HashMap<&'static str, Rc<Defaults>>> = RefCell::new(HashMap::new());
}

fn defaults(p: &'static Preset) -> Option<Rc<Defaults>> {
    if let Some(d) = DEFAULTS.with(|c| c.borrow().get(p.key).cloned()) {
        return Some(d);
    }
    let g = Graph::from_json(p.json).ok()?;
    let leaves = g
        .nodes()
        .iter()
        .filter_map(|n| n.value.as_ref().map(|v| (n.id.clone(), v.data.clone())))
        .collect();
    let d = Rc::new(Defaults {
        leaves,
        target: g.target().data.clone(),
        eta: g.inference_rate(),
    });
    DEFAULTS.with(|c| c.borrow_mut().insert(p.key, d.clone()));
    Some(d)
}

/// The link for the current state. `autoplay` carries the loaded link's play flag.
pub fn capture(st: &AppState, view: &View, autoplay: Option<bool>) -> Link {
    let preset = presets::get(&st.preset);
    let mut m = Model {
        autoplay,
        scale: st.scale,
        random_start: match st.start {
            Start::Random(k) => Some(k),
            Start::Feedforward => None,
        },
        free_inputs: st
            .snap
            .free_inputs
            .iter()
            .filter_map(|&i| st.info.nodes.get(i).map(|n| n.id.clone()))
            .collect(),
        ..Default::default()
    };
    if st.variant != "fixed" {
        m.variant = Some(st.variant.clone());
    }
    match preset {
        Some(p) => {
            if p.key != presets::default_key() {
                m.source = Source::Preset(p.key.to_string());
            }
            if st.speed != presets::DEFAULT_SPEED {
                m.speed = Some(st.speed);
            }
            if let Some(d) = defaults(p) {
                if st.eta != d.eta {
                    m.eta = Some(st.eta);
                }
                for (i, n) in st.info.nodes.iter().enumerate() {
                    if !n.is_leaf() {
                        continue;
                    }
                    let Some(now) = st.snap.nodes.get(i).map(|s| &s.v) else {
                        continue;
                    };
                    if d.leaves.get(&n.id) != Some(now) {
                        m.leaves.push((n.id.clone(), now.clone()));
                    }
                }
                let t = st.sim.target();
                if t != d.target {
                    m.target = Some(t);
                }
            }
        }
        None => {
            // a custom graph: the file carries its values and target
            m.source = Source::Graph(st.sim.graph_json());
            m.eta = Some(st.eta);
            m.speed = Some(st.speed);
        }
    }
    Link {
        model: m,
        view: view.clone(),
    }
}

/// The full address of a link (absolute, for copying).
pub fn full_url(link: &Link) -> String {
    format!("{}#{}", base_url(), codec::encode(link))
}
