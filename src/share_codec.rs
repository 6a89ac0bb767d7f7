//! The share-link format: everything that defines a view, as a compact, versioned URL fragment.
//!
//! Pure Rust (compiled natively and for wasm; unit-tested with `cargo test`). The app maps a
//! decoded [`Link`] onto its state in `app::url`; this module knows only the syntax.
//!
//! ```text
//! #v=1&p=diamond&var=strict&eta=0.2&speed=24&in=x:1.5,w1:0.3&t=1&scale=global&play=0
//!     &embed=1&panels=graph,plots&theme=dark&bg=transparent&hide=rate,variant&id=w1
//!     &origin=https%3A//blog.example
//! ```
//!
//! * `v` is the format version. Version 1 is decoded forever; a missing `v` means 1.
//! * `p` names a built-in graph; `g` instead carries a custom graph file (JSON), raw-deflated and
//!   URL-safe base64 encoded without padding.
//! * Lists are comma-separated; a leaf's values in `in` are `id:v1;v2;…`. Ids and other free
//!   text are percent-encoded outside `[A-Za-z0-9-._~!$'()*/?@]`.
//! * Unknown keys are ignored (so later additions stay readable by this decoder).
//!
//! [`decode`] never panics: any problem becomes a one-sentence notice and the default model.
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// The version written by [`encode`].
pub const VERSION: u32 = 1;
/// Largest inflated custom graph accepted (bytes).
pub const MAX_GRAPH_BYTES: usize = 512 * 1024;
/// The panels a view can show, in fragment order.
pub const PANELS: [&str; 3] = ["graph", "plots", "controls"];

const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Where the graph comes from.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Source {
    /// The app's default graph.
    #[default]
    Default,
    /// A built-in graph by key.
    Preset(String),
    /// A custom graph file (JSON text).
    Graph(String),
}

/// The simulation part of a link: what the graph is and how it runs.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Model {
    pub source: Source,
    pub variant: Option<String>,
    pub eta: Option<f64>,
    pub speed: Option<f64>,
    /// Leaf values that differ from the graph's own (node id, values).
    pub leaves: Vec<(String, Vec<f64>)>,
    pub target: Option<Vec<f64>>,
    /// What the graph's sizes are relative to (`scale=node|layer|global`).
    pub scale: ColourScale,
    /// `Some(false)`: do not start playing on load.
    pub autoplay: Option<bool>,
    /// A random start with this seed (`init=r7`); `None`: the feedforward values.
    pub random_start: Option<u64>,
    /// Inputs released (strict PC), by id (`free=x,y`).
    pub free_inputs: Vec<String>,
}

/// What the graph's disc and ring sizes are relative to: each node's own largest value, the
/// largest in its layer (a column of the drawing), or the largest in the graph (computed
/// nodes and leaves apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColourScale {
    #[default]
    Node,
    Layer,
    Global,
}

impl ColourScale {
    pub const ALL: [ColourScale; 3] = [ColourScale::Node, ColourScale::Layer, ColourScale::Global];
    pub fn key(self) -> &'static str {
        match self {
            ColourScale::Node => "node",
            ColourScale::Layer => "layer",
            ColourScale::Global => "global",
        }
    }
    pub fn parse(s: &str) -> Option<ColourScale> {
        ColourScale::ALL.into_iter().find(|c| c.key() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Auto,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::Auto, Theme::Light, Theme::Dark];
    pub fn key(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
    pub fn parse(s: &str) -> Option<Theme> {
        match s {
            "auto" => Some(Theme::Auto),
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Panels {
    pub graph: bool,
    pub plots: bool,
    pub controls: bool,
}

impl Default for Panels {
    fn default() -> Self {
        Panels {
            graph: true,
            plots: true,
            controls: true,
        }
    }
}

impl Panels {
    pub fn all(self) -> bool {
        self.graph && self.plots && self.controls
    }
    pub fn get(self, name: &str) -> bool {
        match name {
            "graph" => self.graph,
            "plots" => self.plots,
            "controls" => self.controls,
            _ => false,
        }
    }
    pub fn set(&mut self, name: &str, on: bool) {
        match name {
            "graph" => self.graph = on,
            "plots" => self.plots = on,
            "controls" => self.controls = on,
            _ => {}
        }
    }
}

/// The presentation part of a link: how and where the view is shown.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct View {
    pub embed: bool,
    pub panels: Panels,
    pub theme: Theme,
    pub transparent: bool,
    /// A wide graph drawn at a readable size, scrolling sideways (`zoom=1`; the graph head's
    /// "Readable size").
    pub zoom: bool,
    /// Controls hidden for a lesson (`rate`, `variant`, …; the app decides which names exist).
    pub hide: Vec<String>,
    /// Instance id echoed in postMessage events.
    pub id: Option<String>,
    /// Origins allowed to send postMessage commands (empty: any origin, parent window only).
    pub origins: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Link {
    pub model: Model,
    pub view: View,
}

/// The result of [`decode`]: always a usable link, plus at most one notice sentence.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Decoded {
    pub link: Link,
    pub notice: Option<String>,
}

/// The sentence shown for a bad link part: what was wrong, where, and what is shown instead.
pub fn notice(what: &str, value: &str, problem: &str, fallback: &str) -> String {
    format!(
        "The link's {what} `{}` {problem}; {fallback}.",
        shorten(value, 40)
    )
}

/// The fallback phrase for model errors.
pub const SHOWING_DEFAULT: &str = "showing the default graph";

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

// ---------------------------------------------------------------------------------------------
// percent encoding

fn keep(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$'()*/?@".contains(&b)
}

/// Percent-encode free text for one fragment value or list item.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Undo [`esc`] (and any other percent-encoding). Invalid escapes are kept literally.
pub fn unesc(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Shortest text that parses back to exactly `x`.
pub fn fmt_num(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let plain = format!("{x}");
    let sci = format!("{x:e}");
    if sci.len() < plain.len() {
        sci
    } else {
        plain
    }
}

fn parse_num(s: &str) -> Option<f64> {
    let t = s.trim();
    // Rust also parses "inf"/"nan"; links never carry them.
    if t.is_empty()
        || t.chars()
            .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
    {
        return None;
    }
    crate::numparse::parse_f64(t).filter(|x| x.is_finite())
}

// ---------------------------------------------------------------------------------------------
// custom graphs

/// Raw deflate + URL-safe base64 (no padding).
pub fn pack_graph(json: &str) -> String {
    B64.encode(miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9))
}

/// Undo [`pack_graph`]; the error is a short phrase for a notice.
pub fn unpack_graph(s: &str) -> Result<String, &'static str> {
    let bytes = B64.decode(s.trim()).map_err(|_| "is not valid base64")?;
    let raw = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_GRAPH_BYTES)
        .map_err(|_| "could not be decompressed")?;
    String::from_utf8(raw).map_err(|_| "is not text")
}

// ---------------------------------------------------------------------------------------------
// encode

/// The fragment (without `#`) for a link. Default values are left out.
pub fn encode(l: &Link) -> String {
    let mut parts: Vec<String> = vec![format!("v={VERSION}")];
    let m = &l.model;
    match &m.source {
        Source::Default => {}
        Source::Preset(k) => parts.push(format!("p={}", esc(k))),
        Source::Graph(json) => parts.push(format!("g={}", pack_graph(json))),
    }
    if let Some(v) = &m.variant {
        parts.push(format!("var={}", esc(v)));
    }
    if let Some(x) = m.eta {
        parts.push(format!("eta={}", fmt_num(x)));
    }
    if let Some(x) = m.speed {
        parts.push(format!("speed={}", fmt_num(x)));
    }
    if !m.leaves.is_empty() {
        let items: Vec<String> = m
            .leaves
            .iter()
            .map(|(id, vals)| format!("{}:{}", esc(id), nums(vals)))
            .collect();
        parts.push(format!("in={}", items.join(",")));
    }
    if let Some(t) = &m.target {
        parts.push(format!("t={}", nums(t)));
    }
    if m.scale != ColourScale::Node {
        parts.push(format!("scale={}", m.scale.key()));
    }
    if let Some(seed) = m.random_start {
        parts.push(format!("init=r{seed}"));
    }
    if !m.free_inputs.is_empty() {
        parts.push(format!("free={}", list(&m.free_inputs)));
    }
    if let Some(play) = m.autoplay {
        parts.push(if play { "play=1" } else { "play=0" }.into());
    }
    let v = &l.view;
    if v.embed {
        parts.push("embed=1".into());
    }
    if !v.panels.all() {
        let on: Vec<&str> = PANELS.iter().copied().filter(|p| v.panels.get(p)).collect();
        parts.push(format!("panels={}", on.join(",")));
    }
    if v.theme != Theme::Auto {
        parts.push(format!("theme={}", v.theme.key()));
    }
    if v.transparent {
        parts.push("bg=transparent".into());
    }
    if v.zoom {
        parts.push("zoom=1".into());
    }
    if !v.hide.is_empty() {
        parts.push(format!("hide={}", list(&v.hide)));
    }
    if let Some(id) = &v.id {
        parts.push(format!("id={}", esc(id)));
    }
    if !v.origins.is_empty() {
        parts.push(format!("origin={}", list(&v.origins)));
    }
    parts.join("&")
}

fn nums(v: &[f64]) -> String {
    v.iter().map(|&x| fmt_num(x)).collect::<Vec<_>>().join(";")
}

fn list(v: &[String]) -> String {
    v.iter().map(|s| esc(s)).collect::<Vec<_>>().join(",")
}

// ---------------------------------------------------------------------------------------------
// decode

/// Keys this decoder understands (v1).
const KEYS: [&str; 20] = [
    "v", "p", "g", "var", "eta", "speed", "in", "t", "scale", "init", "free", "play", "embed",
    "panels", "theme", "bg", "zoom", "hide", "id", "origin",
];

fn flag(v: Option<&str>) -> Option<bool> {
    match v.map(str::trim) {
        None | Some("") | Some("1") | Some("true") | Some("yes") | Some("on") => Some(true),
        Some("0") | Some("false") | Some("no") | Some("off") => Some(false),
        _ => None,
    }
}

/// Decode a fragment (with or without the leading `#`). Never panics: a problem in the model part
/// gives the default model and a notice; a problem in a presentation key drops that key and gives
/// a notice. The first problem found is reported.
pub fn decode(fragment: &str) -> Decoded {
    let frag = fragment.strip_prefix('#').unwrap_or(fragment).trim();
    let mut out = Decoded::default();
    if frag.is_empty() {
        return out;
    }
    let pairs: Vec<(String, Option<String>)> = frag
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (unesc(k).trim().to_string(), Some(v.to_string())),
            None => (unesc(kv).trim().to_string(), None),
        })
        .collect();
    if !pairs.iter().any(|(k, _)| KEYS.contains(&k.as_str())) {
        out.notice = Some(notice(
            "fragment",
            &unesc(frag),
            "is not a playground link",
            SHOWING_DEFAULT,
        ));
        return out;
    }
    let get = |key: &str| -> Option<Option<&str>> {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_deref())
    };
    if let Some(v) = get("v") {
        let raw = v.unwrap_or("");
        match raw.trim().parse::<u32>() {
            Ok(1) => {}
            Ok(n) if n > VERSION => {
                out.notice = Some(notice(
                    "version",
                    &format!("v={n}"),
                    "is newer than this playground understands",
                    SHOWING_DEFAULT,
                ));
                out.link.view = decode_view(&get, &mut None);
                return out;
            }
            _ => {
                out.notice = Some(notice(
                    "version",
                    &format!("v={}", unesc(raw)),
                    "is not a known format version",
                    SHOWING_DEFAULT,
                ));
                out.link.view = decode_view(&get, &mut None);
                return out;
            }
        }
    }
    let mut problem = None;
    match decode_model(&get) {
        Ok(m) => out.link.model = m,
        Err(n) => problem = Some(n),
    }
    out.link.view = decode_view(&get, &mut problem);
    out.notice = problem;
    out
}

type Getter<'a> = dyn Fn(&str) -> Option<Option<&'a str>> + 'a;

fn decode_model<'a>(get: &Getter<'a>) -> Result<Model, String> {
    let mut m = Model::default();
    let bad =
        |what: &str, raw: &str, problem: &str| notice(what, &unesc(raw), problem, SHOWING_DEFAULT);
    if let Some(g) = get("g") {
        let raw = g.unwrap_or("");
        match unpack_graph(raw) {
            Ok(json) => m.source = Source::Graph(json),
            Err(p) => return Err(bad("custom graph", raw, p)),
        }
    } else if let Some(p) = get("p") {
        let k = unesc(p.unwrap_or("")).trim().to_string();
        if k.is_empty() {
            return Err(bad("graph", "", "is empty"));
        }
        m.source = Source::Preset(k);
    }
    if let Some(v) = get("var") {
        let k = unesc(v.unwrap_or("")).trim().to_string();
        if k.is_empty() {
            return Err(bad("variant", "", "is empty"));
        }
        m.variant = Some(k);
    }
    if let Some(v) = get("eta") {
        let raw = v.unwrap_or("");
        match parse_num(&unesc(raw)) {
            Some(x) if x > 0.0 => m.eta = Some(x),
            Some(_) => return Err(bad("rate", raw, "is not positive")),
            None => return Err(bad("rate", raw, "is not a number")),
        }
    }
    if let Some(v) = get("speed") {
        let raw = v.unwrap_or("");
        match parse_num(&unesc(raw)) {
            Some(x) if x > 0.0 => m.speed = Some(x),
            Some(_) => return Err(bad("speed", raw, "is not positive")),
            None => return Err(bad("speed", raw, "is not a number")),
        }
    }
    if let Some(v) = get("in") {
        for item in v.unwrap_or("").split(',').filter(|s| !s.is_empty()) {
            let Some((id, vals)) = item.split_once(':') else {
                return Err(bad("input", item, "has no `:` between name and value"));
            };
            let id = unesc(id);
            if id.trim().is_empty() {
                return Err(bad("input", item, "has no name"));
            }
            let Some(vals) = parse_list(vals) else {
                return Err(bad(&format!("input {id}"), vals, "is not a number"));
            };
            m.leaves.push((id, vals));
        }
    }
    if let Some(v) = get("t") {
        let raw = v.unwrap_or("");
        match parse_list(raw) {
            Some(t) => m.target = Some(t),
            None => return Err(bad("target", raw, "is not a number")),
        }
    }
    if let Some(v) = get("scale") {
        match v.map(|s| unesc(s).trim().to_string()).as_deref() {
            Some("") | None => {}
            Some(s) => match ColourScale::parse(s) {
                Some(c) => m.scale = c,
                None => return Err(bad("colour scale", s, "is not `node`, `layer` or `global`")),
            },
        }
    }
    if let Some(v) = get("free") {
        m.free_inputs = v
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(unesc)
            .collect();
    }
    if let Some(v) = get("init") {
        match v.map(|s| unesc(s).trim().to_string()).as_deref() {
            Some("") | Some("ff") | None => {}
            Some(s) => match s.strip_prefix('r').and_then(|d| d.parse::<u64>().ok()) {
                Some(seed) => m.random_start = Some(seed),
                None => {
                    return Err(bad(
                        "start",
                        s,
                        "is not `ff` (feedforward) or `r` and a seed number (e.g. `r7`)",
                    ))
                }
            },
        }
    }
    if let Some(v) = get("play") {
        match flag(v) {
            Some(b) => m.autoplay = Some(b),
            None => return Err(bad("play flag", v.unwrap_or(""), "is not 0 or 1")),
        }
    }
    Ok(m)
}

fn parse_list(s: &str) -> Option<Vec<f64>> {
    let s = unesc(s);
    let v: Option<Vec<f64>> = s.split(';').map(parse_num).collect();
    v.filter(|v| !v.is_empty())
}

fn decode_view<'a>(get: &Getter<'a>, problem: &mut Option<String>) -> View {
    let mut v = View::default();
    let mut report = |n: String| {
        if problem.is_none() {
            *problem = Some(n);
        }
    };
    if let Some(e) = get("embed") {
        match flag(e) {
            Some(b) => v.embed = b,
            None => {
                v.embed = true;
                report(notice(
                    "embed flag",
                    e.unwrap_or(""),
                    "is not 0 or 1",
                    "embedding anyway",
                ))
            }
        }
    }
    if let Some(p) = get("panels") {
        let raw = unesc(p.unwrap_or(""));
        let mut panels = Panels {
            graph: false,
            plots: false,
            controls: false,
        };
        let mut ok = true;
        for name in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if PANELS.contains(&name) {
                panels.set(name, true);
            } else {
                ok = false;
                report(notice(
                    "panel",
                    name,
                    "is not one of graph, plots, controls",
                    "showing all panels",
                ));
            }
        }
        if ok && (panels.graph || panels.plots || panels.controls) {
            v.panels = panels;
        } else if ok {
            report(notice(
                "panels",
                &raw,
                "name no panel",
                "showing all panels",
            ));
        }
    }
    if let Some(t) = get("theme") {
        let raw = unesc(t.unwrap_or(""));
        match Theme::parse(raw.trim()) {
            Some(th) => v.theme = th,
            None => report(notice(
                "theme",
                &raw,
                "is not light, dark or auto",
                "following the system theme",
            )),
        }
    }
    if let Some(b) = get("bg") {
        let raw = unesc(b.unwrap_or(""));
        match raw.trim() {
            "transparent" | "none" | "0" => v.transparent = true,
            "" | "opaque" | "1" => {}
            _ => report(notice(
                "background",
                &raw,
                "is not `transparent`",
                "keeping the normal background",
            )),
        }
    }
    if let Some(z) = get("zoom") {
        match flag(z) {
            Some(b) => v.zoom = b,
            None => report(notice(
                "zoom flag",
                z.unwrap_or(""),
                "is not 0 or 1",
                "fitting the graph to the panel",
            )),
        }
    }
    if let Some(h) = get("hide") {
        v.hide = h
            .unwrap_or("")
            .split(',')
            .map(|s| unesc(s).trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
    }
    if let Some(id) = get("id") {
        let id = unesc(id.unwrap_or("")).trim().to_string();
        if !id.is_empty() {
            v.id = Some(shorten(&id, 64));
        }
    }
    if let Some(o) = get("origin") {
        v.origins = o
            .unwrap_or("")
            .split(',')
            .map(|s| unesc(s).trim().trim_end_matches('/').to_string())
            .filter(|s| !s.is_empty())
            .collect();
    }
    v
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_random_start_round_trips_and_a_bad_one_says_so() {
        let d = decode("#v=1&p=chain&init=r7");
        assert_eq!((d.notice, d.link.model.random_start), (None, Some(7)));
        assert!(encode(&d.link).contains("init=r7"));
        assert_eq!(decode("#v=1&init=ff").link.model.random_start, None);
        let d = decode("#v=1&p=chain&init=random");
        let n = d.notice.unwrap();
        assert!(n.contains("start") && n.contains("`r7`"), "{n}");
    }

    fn full() -> Link {
        Link {
            model: Model {
                source: Source::Preset("diamond".into()),
                variant: Some("strict".into()),
                eta: Some(0.2),
                speed: Some(120.0),
                leaves: vec![
                    ("x".into(), vec![1.5]),
                    ("W 1,:;%".into(), vec![0.1, -2e-9]),
                ],
                target: Some(vec![1.0, -0.25]),
                scale: ColourScale::Global,
                autoplay: Some(false),
                random_start: Some(42),
                free_inputs: vec!["x".into(), "a,b:c".into()],
            },
            view: View {
                embed: true,
                panels: Panels {
                    graph: true,
                    plots: false,
                    controls: true,
                },
                theme: Theme::Dark,
                transparent: true,
                zoom: true,
                hide: vec!["rate".into(), "variant".into()],
                id: Some("w1".into()),
                origins: vec![
                    "https://blog.example".into(),
                    "http://127.0.0.1:8080".into(),
                ],
            },
        }
    }

    #[test]
    fn round_trip_everything() {
        let l = full();
        let f = encode(&l);
        assert!(f.starts_with("v=1&p=diamond&var=strict&eta=0.2"), "{f}");
        let d = decode(&format!("#{f}"));
        assert_eq!(d.notice, None);
        assert_eq!(d.link, l);
    }

    #[test]
    fn zoom_is_a_view_flag() {
        let d = decode("v=1&p=rnn3&zoom=1");
        assert!(d.link.view.zoom && d.notice.is_none());
        assert_eq!(encode(&d.link), "v=1&p=rnn3&zoom=1");
        let d = decode("v=1&zoom=maybe");
        assert!(!d.link.view.zoom);
        assert!(d.notice.unwrap().contains("zoom flag"));
    }

    #[test]
    fn default_link_is_just_the_version() {
        assert_eq!(encode(&Link::default()), "v=1");
        assert_eq!(decode("v=1"), Decoded::default());
        assert_eq!(decode(""), Decoded::default());
        assert_eq!(decode("#"), Decoded::default());
    }

    #[test]
    fn custom_graph_round_trips_compressed() {
        let json = include_str!("engine/presets/mlp231.json");
        let l = Link {
            model: Model {
                source: Source::Graph(json.to_string()),
                ..Default::default()
            },
            ..Default::default()
        };
        let f = encode(&l);
        assert!(f.len() < json.len(), "{} vs {}", f.len(), json.len());
        assert!(f
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_=&".contains(&b)));
        assert_eq!(decode(&f).link, l);
    }

    /// Links written by version 1 decode forever: these strings are frozen.
    #[test]
    fn frozen_v1_links() {
        let d = decode("#v=1&p=millidge&var=zil&eta=0.05&speed=24&in=y0:3,th:1.5&t=2");
        assert_eq!(d.notice, None);
        let m = d.link.model;
        assert_eq!(m.source, Source::Preset("millidge".into()));
        assert_eq!(m.variant.as_deref(), Some("zil"));
        assert_eq!(m.eta, Some(0.05));
        assert_eq!(m.speed, Some(24.0));
        assert_eq!(
            m.leaves,
            vec![("y0".into(), vec![3.0]), ("th".into(), vec![1.5])]
        );
        assert_eq!(m.target, Some(vec![2.0]));
        // embed-only links without a version, as a blogger would type them
        let d = decode("#embed=1&panels=graph&theme=light&id=w2&hide=rate");
        assert_eq!(d.notice, None);
        assert!(d.link.view.embed);
        assert_eq!(
            d.link.view.panels,
            Panels {
                graph: true,
                plots: false,
                controls: false
            }
        );
        assert_eq!(d.link.view.theme, Theme::Light);
        assert_eq!(d.link.view.id.as_deref(), Some("w2"));
        assert_eq!(d.link.view.hide, vec!["rate".to_string()]);
        // a custom graph packed by another implementation (Node's zlib.deflateRawSync)
        let d = decode("v=1&g=q1bKS8xNVbJSyssvUUhUSC9KLMhQ0lHKy09JLVayio6t5QIA");
        assert_eq!(d.notice, None);
        assert_eq!(
            d.link.model.source,
            Source::Graph("{\"name\":\"not a graph\",\"nodes\":[]}\n".into())
        );
    }

    #[test]
    fn notices_say_what_and_where() {
        let d = decode("#v=1&p=paper&eta=abc");
        assert_eq!(
            d.notice.as_deref(),
            Some("The link's rate `abc` is not a number; showing the default graph.")
        );
        assert_eq!(d.link.model, Model::default());
        let d = decode("#v=9&p=chain&embed=1");
        assert!(d.notice.unwrap().contains("version `v=9` is newer"));
        assert!(d.link.view.embed, "presentation survives a model problem");
        assert_eq!(d.link.model, Model::default());
        let d = decode("#hello-world");
        assert_eq!(
            d.notice.as_deref(),
            Some("The link's fragment `hello-world` is not a playground link; showing the default graph.")
        );
        let d = decode("#v=1&g=!!!");
        assert!(d
            .notice
            .unwrap()
            .contains("custom graph `!!!` is not valid base64"));
        let d = decode("#v=1&g=AAAA");
        assert!(d.notice.unwrap().contains("could not be decompressed"));
        let d = decode("#v=1&in=x");
        assert!(d.notice.unwrap().contains("no `:`"));
        let d = decode("#v=1&in=x:nan");
        assert!(d.notice.unwrap().contains("input x `nan` is not a number"));
        let d = decode("#v=1&eta=-1");
        assert!(d.notice.unwrap().contains("not positive"));
        let d = decode("#v=1&var=strict&panels=graph,maps");
        assert_eq!(
            d.notice.as_deref(),
            Some(
                "The link's panel `maps` is not one of graph, plots, controls; showing all panels."
            )
        );
        assert_eq!(d.link.model.variant.as_deref(), Some("strict"));
        assert!(d.link.view.panels.all());
        let d = decode("#v=1&eta=inf");
        assert!(d.notice.is_some());
    }

    #[test]
    fn numbers_round_trip_exactly() {
        for x in [
            0.1,
            1.0 / 3.0,
            1e-300,
            -2.5e17,
            123456.789,
            5e-324,
            f64::MAX,
        ] {
            assert_eq!(parse_num(&fmt_num(x)), Some(x), "{x}");
        }
        assert_eq!(fmt_num(0.2), "0.2");
        assert_eq!(fmt_num(1e-7), "1e-7");
    }

    #[test]
    fn escaping_round_trips() {
        for s in [
            "plain",
            "a b&c=d#e,f;g:h%i",
            "θ·y0",
            "https://x.example:8080",
        ] {
            assert_eq!(unesc(&esc(s)), s);
        }
        assert_eq!(unesc("%zz%4"), "%zz%4");
        assert_eq!(unesc("%"), "%");
    }

    proptest! {
        #[test]
        fn decode_never_panics(s in ".{0,200}") {
            let _ = decode(&s);
        }

        #[test]
        fn decode_never_panics_on_near_links(
            keys in proptest::collection::vec(prop::sample::select(KEYS.to_vec()), 0..8),
            vals in proptest::collection::vec("[-a-zA-Z0-9_%.,;:=]{0,24}", 8),
        ) {
            let f: Vec<String> = keys.iter().zip(&vals).map(|(k, v)| format!("{k}={v}")).collect();
            let d = decode(&f.join("&"));
            // whatever came in, what comes out encodes and decodes to itself
            let again = decode(&encode(&d.link));
            prop_assert_eq!(again.notice, None);
            prop_assert_eq!(again.link, d.link);
        }

        #[test]
        fn any_model_round_trips(
            eta in proptest::option::of(1e-6f64..10.0),
            speed in proptest::option::of(1.0f64..5000.0),
            id in "[a-zA-Z0-9_][a-zA-Z0-9_ ,:;&=%#]{0,7}",
            vals in proptest::collection::vec(-1e6f64..1e6, 1..4),
            scale in 0usize..3,
            seed in proptest::option::of(0u64..u64::MAX),
        ) {
            let l = Link {
                model: Model {
                    source: Source::Preset("chain".into()),
                    variant: Some("fixed".into()),
                    eta,
                    speed,
                    leaves: vec![(id, vals.clone())],
                    target: Some(vals),
                    scale: ColourScale::ALL[scale],
                    autoplay: None,
                    random_start: seed,
                    free_inputs: vec![],
                },
                view: View::default(),
            };
            let d = decode(&encode(&l));
            prop_assert_eq!(d.notice, None);
            prop_assert_eq!(d.link, l);
        }
    }
}
