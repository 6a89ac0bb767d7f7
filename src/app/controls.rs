//! Buttons, pickers and sliders. Components render props and send [`Cmd`]s.
use std::rc::Rc;

use web_sys::{Event, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::presets;
use super::sim::{short_id, GraphInfo, Kind, Snap};
use super::state::{
    Cmd, ColourScale, Status, LR_MAX, LR_MIN, RATE_MAX, RATE_MIN, SPEED_MAX, SPEED_MIN, VARIANTS,
};
use super::text::{self, full, num};
use crate::engine::{LearnReport, Start};

// ---------------------------------------------------------------------------------------------
// A typed number field. Uncontrolled while the visitor types (Yew would otherwise rewrite the
// DOM value on every frame); the shown value follows the prop only when the prop changes.

#[derive(Properties, PartialEq)]
pub struct NumberFieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: f64,
    #[prop_or_default]
    pub disabled: bool,
    /// Receives the typed number (NaN when it does not parse; the state refuses it).
    pub onchange: Callback<f64>,
}

#[function_component(NumberField)]
pub fn number_field(p: &NumberFieldProps) -> Html {
    let r = use_node_ref();
    {
        let r = r.clone();
        use_effect_with(p.value.to_bits(), move |bits| {
            if let Some(el) = r.cast::<HtmlInputElement>() {
                el.set_value(&full(f64::from_bits(*bits)));
            }
            || ()
        });
    }
    let cb = p.onchange.clone();
    let onchange = Callback::from(move |e: Event| {
        if let Some(el) = e.target_dyn_into::<HtmlInputElement>() {
            cb.emit(crate::numparse::parse_f64(el.value().trim()).unwrap_or(f64::NAN));
        }
    });
    html! {
        <input type="number" ref={r} id={p.id.clone()} class="num-input" step="any"
            {onchange} disabled={p.disabled} aria-label={p.label.clone()} />
    }
}

// ---------------------------------------------------------------------------------------------
// A reusable logarithmic slider with a typed number beside it.

#[derive(Properties, PartialEq)]
pub struct LogSliderProps {
    /// id of the number input (the range input gets `{id}-slider`).
    pub id: AttrValue,
    pub label: AttrValue,
    pub min: f64,
    pub max: f64,
    pub value: f64,
    #[prop_or_default]
    pub unit: AttrValue,
    #[prop_or_default]
    pub disabled: bool,
    /// Allow typed values outside [min, max] (the state decides what to do with them).
    #[prop_or_default]
    pub free_typing: bool,
    pub onchange: Callback<f64>,
}

const STEPS: f64 = 1000.0;

fn to_pos(v: f64, min: f64, max: f64) -> f64 {
    ((v.clamp(min, max) / min).ln() / (max / min).ln() * STEPS).round()
}

fn from_pos(p: f64, min: f64, max: f64) -> f64 {
    let v = min * (max / min).powf(p / STEPS);
    // round to 3 significant digits so typed and slid values look alike
    let mag = 10f64.powf(v.log10().floor() - 2.0);
    (v / mag).round() * mag
}

#[function_component(LogSlider)]
pub fn log_slider(p: &LogSliderProps) -> Html {
    let (min, max) = (p.min, p.max);
    let on_range = {
        let cb = p.onchange.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(el) = e.target_dyn_into::<HtmlInputElement>() {
                if let Some(pos) = crate::numparse::parse_f64(&el.value()) {
                    cb.emit(from_pos(pos, min, max));
                }
            }
        })
    };
    let free = p.free_typing;
    let on_number = {
        let cb = p.onchange.clone();
        Callback::from(move |v: f64| {
            cb.emit(if free || !v.is_finite() {
                v
            } else {
                v.clamp(min, max)
            })
        })
    };
    let slider_id = format!("{}-slider", p.id);
    html! {
        <div class="field slider">
            <label for={slider_id.clone()}>{ p.label.clone() }</label>
            <div class="slider-row">
                <input type="range" id={slider_id} min="0" max={STEPS.to_string()} step="1"
                    value={to_pos(p.value, min, max).to_string()} oninput={on_range}
                    disabled={p.disabled} aria-label={p.label.clone()} aria-valuetext={format!("{} {}", num(p.value), p.unit)} />
                <NumberField id={p.id.clone()} label={format!("{} (typed)", p.label)} value={p.value}
                    onchange={on_number} disabled={p.disabled} />
                if !p.unit.is_empty() { <span class="unit">{ p.unit.clone() }</span> }
            </div>
        </div>
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Properties, PartialEq, Clone)]
pub struct ControlsProps {
    pub info: Rc<GraphInfo>,
    pub snap: Rc<Snap>,
    pub playing: bool,
    pub status: Status,
    pub speed: f64,
    pub eta: f64,
    pub variant: AttrValue,
    pub uses_rate: bool,
    pub preset: AttrValue,
    pub scale: ColourScale,
    pub target: Rc<Vec<f64>>,
    /// The learning step: its rate, what the last one did, and whether there is a param.
    pub lr: f64,
    pub learned: Option<Rc<LearnReport>>,
    pub has_params: bool,
    /// The output is released (at that tick); `None`: clamped to the target.
    pub released: Option<usize>,
    /// Where runs start, and whether this run had to start from the feedforward values instead.
    pub start: Start,
    pub start_fell_back: bool,
    pub on_cmd: Callback<Cmd>,
    /// The text-rate channel (the iteration counter).
    pub feed: super::live::TextFeed,
}

/// A transport button. `active` only styles it (class `playing`): the Play button says what
/// it will do by changing its word (Play ↔ Pause), so it carries no `aria-pressed` — a label
/// that changes together with a pressed state would be announced as "Pause, pressed"
/// (WAI-ARIA APG, button pattern).
fn button(
    id: &'static str,
    label: &str,
    hint: &'static str,
    cmd: Cmd,
    on: &Callback<Cmd>,
    active: bool,
) -> Html {
    let on = on.clone();
    let onclick = Callback::from(move |_| on.emit(cmd.clone()));
    html! {
        // the visible word is the accessible name (WCAG 2.5.3); the hint is the description
        <button id={id} type="button" class={classes!(active.then_some("playing"))} title={hint} {onclick}>{ label.to_string() }</button>
    }
}

#[function_component(Transport)]
pub fn transport(p: &ControlsProps) -> Html {
    let play_label = if p.playing { text::PAUSE } else { text::PLAY };
    let status = match p.status {
        Status::Settled => text::SETTLED,
        Status::Finished => text::FINISHED,
        Status::Running => text::RUNNING,
        Status::Diverged => "diverged",
        Status::Idle => text::PAUSED,
    };
    let badge = match p.status {
        Status::Settled | Status::Finished => "badge ok",
        Status::Diverged => "badge bad",
        Status::Running => "badge run",
        Status::Idle => "badge",
    };
    html! {
        <div class="transport" role="toolbar" aria-label="Run controls">
            <div class="buttons">
                { button("play", play_label, text::PLAY_HINT, Cmd::TogglePlay, &p.on_cmd, p.playing) }
                { button("step", text::STEP, text::STEP_HINT, Cmd::Step, &p.on_cmd, false) }
                { button("relax", text::RELAX, text::RELAX_HINT, Cmd::Relax, &p.on_cmd, false) }
                { button("reset", text::RESET, text::RESET_HINT, Cmd::Reset, &p.on_cmd, false) }
            </div>
            <div class="counter">
                <span class="muted">{ text::ITERATION }</span>
                <super::live::Live feed={p.feed.clone()} piece={super::live::Piece::Counter} />
                <span id="status" class={badge} data-status={status}>{ status }</span>
            </div>
        </div>
    }
}

#[function_component(Controls)]
pub fn controls(p: &ControlsProps) -> Html {
    let on_cmd = p.on_cmd.clone();
    let on_variant = {
        let on = on_cmd.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<HtmlSelectElement>() {
                on.emit(Cmd::SetVariant(el.value()));
            }
        })
    };
    let on_preset = {
        let on = on_cmd.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<HtmlSelectElement>() {
                on.emit(Cmd::SetPreset(el.value()));
            }
        })
    };
    let speed = {
        let on = on_cmd.clone();
        Callback::from(move |v: f64| on.emit(Cmd::SetSpeed(v)))
    };
    let rate = {
        let on = on_cmd.clone();
        Callback::from(move |v: f64| on.emit(Cmd::SetRate(v)))
    };
    html! {
        <div class="controls">
            <div class="field">
                <label for="preset">{ text::PRESET }</label>
                <select id="preset" onchange={on_preset}>
                    { for presets::all().iter().map(|pr| html! {
                        <option value={pr.key} selected={pr.key == p.preset.as_str()}>{ pr.title }</option>
                    }) }
                    if p.preset == super::text_teach::CUSTOM_KEY {
                        <option value={super::text_teach::CUSTOM_KEY} selected=true disabled=true>{ super::text_teach::CUSTOM_TITLE }</option>
                    }
                </select>
            </div>
            <div class="field">
                <label for="variant">{ text::VARIANT }</label>
                <select id="variant" onchange={on_variant}>
                    { for VARIANTS.iter().map(|v| html! {
                        <option value={*v} selected={*v == p.variant.as_str()}>{ text::variant_label(v) }</option>
                    }) }
                </select>
            </div>
            <LogSlider id="rate" label={text::RATE} min={RATE_MIN} max={RATE_MAX} value={p.eta} free_typing=true
                disabled={!p.uses_rate} onchange={rate} />
            <LogSlider id="speed" label={text::SPEED} min={SPEED_MIN} max={SPEED_MAX} value={p.speed} unit={text::SPEED_UNIT} onchange={speed} />
        </div>
    }
}

#[function_component(DataInputs)]
pub fn data_inputs(p: &ControlsProps) -> Html {
    let on_cmd = p.on_cmd.clone();
    let on_scale = {
        let on = on_cmd.clone();
        Callback::from(move |e: Event| {
            if let Some(c) = e
                .target_dyn_into::<HtmlSelectElement>()
                .and_then(|el| ColourScale::parse(&el.value()))
            {
                on.emit(Cmd::SetScale(c));
            }
        })
    };
    let number = |id: String, label: String, value: f64, mk: Rc<dyn Fn(f64) -> Cmd>| {
        let on = on_cmd.clone();
        let onchange = Callback::from(move |v: f64| on.emit(mk(v)));
        html! {
            <label class="leaf">
                <span>{ label.clone() }</span>
                <NumberField id={id} label={label} {value} {onchange} />
            </label>
        }
    };
    let leaves = p
        .info
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.is_leaf() && n.len == 1)
        .map(|(i, n)| {
            let v = p.snap.nodes[i].v.first().copied().unwrap_or(0.0);
            let kind = if n.kind == Kind::Input {
                "input"
            } else {
                "param"
            };
            number(
                format!("leaf-{}", n.id),
                format!("{} ({kind})", short_id(&n.id)),
                v,
                Rc::new(move |x| Cmd::SetLeaf(i, 0, x)),
            )
        });
    let targets = p.target.iter().enumerate().take(8).map(|(k, &t)| {
        let label = if p.target.len() > 1 {
            format!("{} {k}", text::TARGET)
        } else {
            text::TARGET.to_string()
        };
        number(
            format!("target-{k}"),
            label,
            t,
            Rc::new(move |x| Cmd::SetTarget(k, x)),
        )
    });
    html! {
        <div class="data-inputs">
            <fieldset class="leaves">
                <legend>{ text::INPUTS }</legend>
                { for leaves }
                { for targets }
                { output_clamp(p) }
                { input_clamps(p) }
                { start_field(p) }
            </fieldset>
            <div class="field scale-field">
                <label for="scale">{ text::SCALE }</label>
                <select id="scale" onchange={on_scale}>
                    { for ColourScale::ALL.iter().map(|c| html! {
                        <option value={c.key()} selected={*c == p.scale}>{ match c {
                            ColourScale::Node => text::SCALE_NODE,
                            ColourScale::Layer => text::SCALE_LAYER,
                            ColourScale::Global => text::SCALE_GLOBAL,
                        } }</option>
                    }) }
                </select>
            </div>
            { learn_step(p) }
        </div>
    }
}

/// The output clamp: a toggle button (pressed = held at the target) and its state in words.
/// The exact variants' fixed schedule needs the clamp, so there it is disabled and says why.
fn output_clamp(p: &ControlsProps) -> Html {
    let clamped = p.released.is_none();
    let on = p.on_cmd.clone();
    let onclick = Callback::from(move |_| on.emit(Cmd::SetOutputClamp(!clamped)));
    let hint = if p.uses_rate {
        text::OUTPUT_CLAMP_HINT
    } else {
        text::OUTPUT_CLAMP_EXACT
    };
    html! {
        <div class="field clamp-field">
            <button id="clamp-out" type="button" class="toggle" aria-pressed={clamped.to_string()}
                title={hint} disabled={!p.uses_rate || p.status == Status::Diverged} {onclick}>{ text::OUTPUT_CLAMP }</button>
            <span id="clamp-state" class="small muted">{ text::clamp_state(p.released) }</span>
        </div>
    }
}

/// One toggle per input (pressed = held at its data); free inputs need strict PC.
fn input_clamps(p: &ControlsProps) -> Html {
    let strict = p.variant.as_str() == "strict";
    let buttons = p
        .info
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind == Kind::Input)
        .map(|(i, n)| {
            let held = !p.snap.free_inputs.contains(&i);
            let on = p.on_cmd.clone();
            let onclick = Callback::from(move |_| on.emit(Cmd::SetInputFree(i, held)));
            html! {
                <button id={format!("hold-{}", n.id)} type="button" class="toggle small" aria-pressed={held.to_string()}
                    aria-label={format!("{} held at its data", short_id(&n.id))}
                    disabled={!strict || p.status == Status::Diverged} {onclick}>{ short_id(&n.id) }</button>
            }
        })
        .collect::<Html>();
    let hint = if strict {
        text::INPUTS_HELD_HINT
    } else {
        text::INPUTS_HELD_STRICT
    };
    html! {
        <div class="field clamp-field inputs-clamp" title={hint}>
            <span class="small" id="inputs-held-label">{ text::INPUTS_HELD }</span>
            <div class="buttons" role="group" aria-labelledby="inputs-held-label">{ buttons }</div>
            if !p.snap.free_inputs.is_empty() {
                <span id="inputs-state" class="small muted">{ text::inputs_free_words(
                    &p.info.short_ids(&p.snap.free_inputs)
                ) }</span>
            }
        </div>
    }
}

/// Where runs start: the feedforward values or a seeded random start (pc-math pitfall 8), with
/// what that does under the current variant.
fn start_field(p: &ControlsProps) -> Html {
    let on = p.on_cmd.clone();
    let onchange = Callback::from(move |e: Event| {
        if let Some(el) = e.target_dyn_into::<HtmlSelectElement>() {
            if let Some(s) = text::start_of_key(&el.value()) {
                on.emit(Cmd::SetStart(s));
            }
        }
    });
    let mut seeds = vec![1u64, 2, 3];
    if let Start::Random(k) = p.start {
        if !seeds.contains(&k) {
            seeds.push(k);
        }
    }
    let note = if p.start_fell_back {
        text::START_FELL_BACK
    } else {
        text::start_note(p.start, p.variant.as_str())
    };
    html! {
        <div class="field start-field">
            <label for="start">{ text::START }</label>
            <select id="start" {onchange} title={text::START_HINT}>
                <option value="ff" selected={p.start == Start::Feedforward}>{ text::START_FF }</option>
                { for seeds.into_iter().map(|k| html! {
                    <option value={format!("r{k}")} selected={p.start == Start::Random(k)}>{ text::start_random_label(k) }</option>
                }) }
            </select>
            <span id="start-note" class="small muted">{ note }</span>
        </div>
    }
}

/// The learning step: rate, button and what the last step did (pc-math §1.5).
fn learn_step(p: &ControlsProps) -> Html {
    let on = p.on_cmd.clone();
    let on_lr = Callback::from(move |v: f64| on.emit(Cmd::SetLearnRate(v)));
    let on = p.on_cmd.clone();
    let onclick = Callback::from(move |_| on.emit(Cmd::LearnStep));
    let result = match (&p.learned, p.has_params) {
        (_, false) => text::LEARN_NONE.to_string(),
        (Some(r), _) => text::learn_result(r),
        (None, _) => String::new(),
    };
    html! {
        <fieldset class="learn-step">
            <legend>{ text::LEARN }</legend>
            <LogSlider id="lr" label={text::LEARN_RATE} min={LR_MIN} max={LR_MAX} value={p.lr} free_typing=true
                disabled={!p.has_params} onchange={on_lr} />
            <button id="learn" type="button" title={text::LEARN_HINT} disabled={!p.has_params || p.status == Status::Diverged} {onclick}>{ text::LEARN_BUTTON }</button>
            <p id="learn-result" class="small" role="status">{ result }</p>
        </fieldset>
    }
}
