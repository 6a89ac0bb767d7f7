//! The postMessage API between an embedded playground and its host page: typed, namespaced,
//! versioned messages. Pure Rust (serde only), so it is unit-tested natively; the app reads and
//! writes JS values as JSON text (`JSON.stringify` / `JSON.parse`) in `app::embed`.
//!
//! Host → widget (`iframe.contentWindow.postMessage(msg, "*")`):
//! ```js
//! { ns: "pc-playground", v: 1, id: "w1", type: "play" }            // also: pause, reset, relax, ping
//! { ns: "pc-playground", v: 1, type: "step", n: 5 }
//! { ns: "pc-playground", v: 1, type: "goto", tick: 40 }             // reset, then run to tick 40
//! { ns: "pc-playground", v: 1, type: "learn", rate: 0.1 }           // one learning step (rate optional)
//! { ns: "pc-playground", v: 1, type: "highlight", nodes: ["y2"] }   // light nodes, dim the rest ([]: off)
//! { ns: "pc-playground", v: 1, type: "clamp", output: false }       // release the output from this tick
//! { ns: "pc-playground", v: 1, type: "clamp", input: "x", held: false } // release an input (strict PC)
//! { ns: "pc-playground", v: 1, type: "set", variant: "strict", rate: 0.2, preset: "chain",
//!   speed: 60, inputs: { x: 1.5, W1: [0.1, 0.2] }, target: [1], scale: "layer" }
//!                                                                   // every field optional
//! ```
//! Widget → host (`window.parent.postMessage(event, "*")`), each with `ns`, `v` and `id`:
//! `ready {iteration, preset, variant, rate}`, `tick {iteration, energy, gap}` (at most 10/s),
//! `settled {iteration, gap}`, `select {node, unit}`, `error {message}`, `height {height}`.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::json::{Doc, JsonError, Node, Value};

pub const NS: &str = "pc-playground";
pub const API_VERSION: u32 = 1;
/// Most ticks one `step` or `goto` runs.
pub const MAX_TICKS: u32 = 100_000;

/// The envelope every message carries.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Header {
    pub ns: String,
    pub v: u32,
    #[serde(default)]
    pub id: Option<String>,
}

/// A number or a list of numbers (a leaf's values).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Values {
    One(f64),
    Many(Vec<f64>),
}

impl Values {
    pub fn to_vec(&self) -> Vec<f64> {
        match self {
            Values::One(x) => vec![*x],
            Values::Many(v) => v.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Default, Deserialize)]
pub struct SetArgs {
    #[serde(default)]
    pub preset: Option<String>,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub rate: Option<f64>,
    #[serde(default)]
    pub speed: Option<f64>,
    #[serde(default)]
    pub inputs: Option<BTreeMap<String, Values>>,
    #[serde(default)]
    pub target: Option<Values>,
    /// The colour scale: `node`, `layer` or `global`.
    #[serde(default)]
    pub scale: Option<String>,
}

fn one() -> u32 {
    1
}

/// A command from the host.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Command {
    Play,
    Pause,
    Reset,
    Relax,
    /// Reply with `ready` again (for hosts that attach late).
    Ping,
    Step {
        #[serde(default = "one")]
        n: u32,
    },
    Goto {
        tick: u32,
    },
    /// One learning step from the current PC gradients (`rate`: the learning rate α; absent:
    /// the widget's own).
    Learn {
        #[serde(default)]
        rate: Option<f64>,
    },
    /// Light these nodes (by id) and dim the rest, like the locality lens; `[]` turns it off.
    Highlight {
        #[serde(default)]
        nodes: Vec<String>,
    },
    /// Hold the output at the target (`output: true`) or release it from the current tick
    /// (`false`); hold an input at its data (`input: "x", held: true`) or release it (strict PC,
    /// `held: false`). Either or both.
    Clamp {
        #[serde(default)]
        output: Option<bool>,
        #[serde(default)]
        input: Option<String>,
        #[serde(default)]
        held: Option<bool>,
    },
    Set(SetArgs),
}

/// An event to the host.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Event {
    Ready {
        iteration: usize,
        preset: String,
        variant: String,
        rate: f64,
    },
    Tick {
        iteration: usize,
        energy: f64,
        gap: f64,
    },
    Settled {
        iteration: usize,
        gap: f64,
    },
    /// The reader clicked (or tapped, or pressed Enter on) a node: its id and the unit.
    Select {
        node: String,
        unit: usize,
    },
    Error {
        message: String,
    },
    Height {
        height: f64,
    },
}

/// Why a message was not accepted (never shown to users; the widget ignores it).
#[derive(Clone, Debug, PartialEq)]
pub enum Reject {
    /// Not ours (another namespace, or not an object): ignore silently.
    Foreign,
    /// Ours, but another API version.
    Version(u32),
    /// Ours, but addressed to another instance id.
    OtherInstance,
    /// Ours, but the payload does not parse.
    Malformed(String),
}

/// Check a message's header against this widget's instance id.
pub fn check_header(h: &Header, my_id: Option<&str>) -> Result<(), Reject> {
    if h.ns != NS {
        return Err(Reject::Foreign);
    }
    if h.v != API_VERSION {
        return Err(Reject::Version(h.v));
    }
    match (h.id.as_deref(), my_id) {
        (Some(theirs), Some(mine)) if theirs != mine => Err(Reject::OtherInstance),
        _ => Ok(()),
    }
}

/// Parse a message given as JSON text (the app reads the JS value through `JSON.stringify`).
/// The result is what `serde_json::from_str` gives with the serde attributes above
/// (`tests/json_reader.rs`), read with the crate's small JSON reader (`crate::json`).
pub fn parse_json(text: &str, my_id: Option<&str>) -> Result<Command, Reject> {
    let d = Doc::new(text);
    let root = d.parse().map_err(|_| Reject::Foreign)?;
    let h = header(&d, &root).map_err(|_| Reject::Foreign)?;
    check_header(&h, my_id)?;
    command(&d, &root).map_err(|e| Reject::Malformed(e.to_string()))
}

/// The header as `Header`'s serde derive reads it (unknown keys ignored).
pub fn header(d: &Doc, n: &Node) -> Result<Header, JsonError> {
    let f = d.fields(n, &["ns", "v", "id"], false, "struct Header")?;
    let ns = match f[0] {
        Some(x) => d.string(x)?,
        None => return Err(d.missing(n, "ns")),
    };
    let v = match f[1] {
        Some(x) => d.uint(x, u32::MAX as u64, "u32")? as u32,
        None => return Err(d.missing(n, "v")),
    };
    let id = d.option(f[2], |x| d.string(x))?;
    Ok(Header { ns, v, id })
}

/// The command as `Command`'s serde derive reads it: internally tagged by `type`.
pub fn command(d: &Doc, n: &Node) -> Result<Command, JsonError> {
    const TYPES: [&str; 11] = [
        "play",
        "pause",
        "reset",
        "relax",
        "ping",
        "step",
        "goto",
        "learn",
        "highlight",
        "clamp",
        "set",
    ];
    let Value::Obj(members) = &n.value else {
        return Err(d.invalid_type(n, "internally tagged enum Command"));
    };
    // serde buffers an internally tagged enum's whole map first
    d.buffered(n)?;
    let mut tags = members.iter().filter(|(k, _, _)| k == "type");
    let Some((_, _, t)) = tags.next() else {
        return Err(d.missing(n, "type"));
    };
    if let Some((_, key_end, _)) = tags.next() {
        return Err(d.error_after(*key_end, "duplicate field `type`"));
    }
    let ty = d.string(t)?;
    let u32_max = u32::MAX as u64;
    Ok(match ty.as_str() {
        "play" => Command::Play,
        "pause" => Command::Pause,
        "reset" => Command::Reset,
        "relax" => Command::Relax,
        "ping" => Command::Ping,
        "step" => {
            let f = d.fields(n, &["n"], false, "struct variant Command::Step")?;
            Command::Step {
                n: match f[0] {
                    Some(x) => d.uint(x, u32_max, "u32")? as u32,
                    None => one(),
                },
            }
        }
        "goto" => {
            let f = d.fields(n, &["tick"], false, "struct variant Command::Goto")?;
            match f[0] {
                Some(x) => Command::Goto {
                    tick: d.uint(x, u32_max, "u32")? as u32,
                },
                None => return Err(d.missing(n, "tick")),
            }
        }
        "learn" => {
            let f = d.fields(n, &["rate"], false, "struct variant Command::Learn")?;
            Command::Learn {
                rate: d.option(f[0], |x| d.f64(x))?,
            }
        }
        "clamp" => {
            let f = d.fields(
                n,
                &["output", "input", "held"],
                false,
                "struct variant Command::Clamp",
            )?;
            Command::Clamp {
                output: d.option(f[0], |x| d.bool(x))?,
                input: d.option(f[1], |x| d.string(x))?,
                held: d.option(f[2], |x| d.bool(x))?,
            }
        }
        "highlight" => {
            let f = d.fields(n, &["nodes"], false, "struct variant Command::Highlight")?;
            let nodes = match f[0] {
                Some(x) => {
                    let Value::Arr(items) = &x.value else {
                        return Err(d.invalid_type(x, "a sequence"));
                    };
                    items
                        .iter()
                        .map(|i| d.string(i))
                        .collect::<Result<Vec<_>, _>>()?
                }
                None => vec![],
            };
            Command::Highlight { nodes }
        }
        "set" => {
            const KEYS: [&str; 7] = [
                "preset", "variant", "rate", "speed", "inputs", "target", "scale",
            ];
            let f = d.fields(n, &KEYS, false, "struct SetArgs")?;
            let inputs = d.option(f[4], |x| {
                let Value::Obj(m) = &x.value else {
                    return Err(d.invalid_type(x, "a map"));
                };
                let mut out = BTreeMap::new();
                for (k, _, v) in m {
                    out.insert(k.clone(), values(d, v)?);
                }
                Ok(out)
            })?;
            Command::Set(SetArgs {
                preset: d.option(f[0], |x| d.string(x))?,
                variant: d.option(f[1], |x| d.string(x))?,
                rate: d.option(f[2], |x| d.f64(x))?,
                speed: d.option(f[3], |x| d.f64(x))?,
                inputs,
                target: d.option(f[5], |x| values(d, x))?,
                scale: d.option(f[6], |x| d.string(x))?,
            })
        }
        other => {
            let list: Vec<String> = TYPES.iter().map(|k| format!("`{k}`")).collect();
            return Err(d.error_at(
                t.start,
                format!(
                    "unknown variant `{other}`, expected one of {}",
                    list.join(", ")
                ),
            ));
        }
    })
}

/// The untagged `Values`: a number or a list of numbers.
fn values(d: &Doc, n: &Node) -> Result<Values, JsonError> {
    if let Value::Arr(items) = &n.value {
        for x in items {
            d.number(x)?;
        }
    }
    d.number(n)?;
    match &n.value {
        Value::Num(x) => Ok(Values::One(x.as_f64())),
        Value::Arr(items) => {
            let v: Option<Vec<f64>> = items
                .iter()
                .map(|x| match x.value {
                    Value::Num(v) => Some(v.as_f64()),
                    _ => None,
                })
                .collect();
            v.map(Values::Many).ok_or_else(|| {
                d.error_after(
                    n.end,
                    "data did not match any variant of untagged enum Values",
                )
            })
        }
        _ => Err(d.error_after(
            n.end,
            "data did not match any variant of untagged enum Values",
        )),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        let p = |s: &str| parse_json(s, Some("w1"));
        assert_eq!(
            p(r#"{"ns":"pc-playground","v":1,"type":"play"}"#),
            Ok(Command::Play)
        );
        assert_eq!(
            p(r#"{"ns":"pc-playground","v":1,"id":"w1","type":"step","n":5}"#),
            Ok(Command::Step { n: 5 })
        );
        assert_eq!(
            p(r#"{"ns":"pc-playground","v":1,"type":"step"}"#),
            Ok(Command::Step { n: 1 })
        );
        assert_eq!(
            p(r#"{"ns":"pc-playground","v":1,"type":"goto","tick":40}"#),
            Ok(Command::Goto { tick: 40 })
        );
        assert_eq!(
            p(r#"{"ns":"pc-playground","v":1,"type":"learn","rate":0.05}"#),
            Ok(Command::Learn { rate: Some(0.05) })
        );
        assert_eq!(
            p(r#"{"ns":"pc-playground","v":1,"type":"learn"}"#),
            Ok(Command::Learn { rate: None })
        );
        assert_eq!(
            p(r#"{"ns":"pc-playground","v":1,"type":"clamp","output":false}"#),
            Ok(Command::Clamp {
                output: Some(false),
                input: None,
                held: None
            })
        );
        assert_eq!(
            p(r#"{"ns":"pc-playground","v":1,"type":"clamp","input":"x","held":false}"#),
            Ok(Command::Clamp {
                output: None,
                input: Some("x".into()),
                held: Some(false)
            })
        );
        assert!(p(r#"{"ns":"pc-playground","v":1,"type":"clamp","output":1}"#).is_err());
        assert_eq!(
            p(r#"{"ns":"pc-playground","v":1,"type":"highlight","nodes":["y2","t"]}"#),
            Ok(Command::Highlight {
                nodes: vec!["y2".into(), "t".into()]
            })
        );
        assert_eq!(
            p(r#"{"ns":"pc-playground","v":1,"type":"highlight"}"#),
            Ok(Command::Highlight { nodes: vec![] })
        );
        let set = p(
            r#"{"ns":"pc-playground","v":1,"type":"set","variant":"strict","rate":0.2,"inputs":{"x":1.5,"W":[1,2]},"extra":true}"#,
        )
        .unwrap();
        let Command::Set(a) = set else { panic!() };
        assert_eq!(a.variant.as_deref(), Some("strict"));
        assert_eq!(a.rate, Some(0.2));
        let inputs = a.inputs.unwrap();
        assert_eq!(inputs["x"].to_vec(), vec![1.5]);
        assert_eq!(inputs["W"].to_vec(), vec![1.0, 2.0]);
    }

    #[test]
    fn foreign_and_bad_messages_are_rejected() {
        let p = |s: &str| parse_json(s, Some("w1"));
        assert_eq!(
            p(r#"{"ns":"other","v":1,"type":"play"}"#),
            Err(Reject::Foreign)
        );
        assert_eq!(p(r#""hello""#), Err(Reject::Foreign));
        assert_eq!(p("null"), Err(Reject::Foreign));
        assert_eq!(
            p(r#"{"ns":"pc-playground","v":2,"type":"play"}"#),
            Err(Reject::Version(2))
        );
        assert_eq!(
            p(r#"{"ns":"pc-playground","v":1,"id":"w2","type":"play"}"#),
            Err(Reject::OtherInstance)
        );
        for bad in [
            r#"{"ns":"pc-playground","v":1,"type":"jump"}"#,
            r#"{"ns":"pc-playground","v":1}"#,
            r#"{"ns":"pc-playground","v":1,"type":"step","n":-3}"#,
            r#"{"ns":"pc-playground","v":1,"type":"step","n":"many"}"#,
            r#"{"ns":"pc-playground","v":1,"type":"set","rate":"fast"}"#,
            r#"{"ns":"pc-playground","v":1,"type":"goto"}"#,
            r#"{"ns":"pc-playground","v":1,"type":"learn","rate":"slow"}"#,
            r#"{"ns":"pc-playground","v":1,"type":"highlight","nodes":"y2"}"#,
            r#"{"ns":"pc-playground","v":1,"type":"highlight","nodes":[3]}"#,
        ] {
            assert!(matches!(p(bad), Err(Reject::Malformed(_))), "{bad}");
        }
    }

    #[test]
    fn events_serialise_with_their_type() {
        let e = serde_json::to_value(Event::Tick {
            iteration: 3,
            energy: 0.5,
            gap: 1e-3,
        })
        .unwrap();
        assert_eq!(e["type"], "tick");
        assert_eq!(e["iteration"], 3);
        let e = serde_json::to_value(Event::Select {
            node: "y3".into(),
            unit: 0,
        })
        .unwrap();
        assert_eq!(e["type"], "select");
        assert_eq!(e["node"], "y3");
        assert_eq!(e["unit"], 0);
    }
}
