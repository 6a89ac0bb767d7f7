//! Every user-facing string, and the one number formatter that refuses non-finite values.

pub const TITLE: &str = "Predictive Coding Playground";
pub const INTRO: &str = "Predictive coding gives every node of a computation graph two units: a \
value unit v that holds a belief, and an error unit ε = v − μ that measures how far the belief is \
from the prediction μ its parents make. The output is clamped to the target, so an error appears \
there first. Each tick, every node moves to reduce the errors around it, only talking to its \
neighbours. Watch the error front travel from the output back to the inputs: the filled discs \
grow until they fill the dashed rings, which are the gradients backprop would compute (Millidge, \
Tschantz & Buckley 2020).";

pub const GRAPH_LABEL: &str = "Computation graph with value and error units";
pub const SETTLED: &str = "settled";
pub const FINISHED: &str = "finished";
pub const RUNNING: &str = "relaxing";
pub const PAUSED: &str = "paused";

pub const PLAY: &str = "Play";
pub const PAUSE: &str = "Pause";
pub const STEP: &str = "Step";
pub const RELAX: &str = "Relax";
pub const RESET: &str = "Reset";
pub const PLAY_HINT: &str = "Play or pause the relaxation (space)";
pub const STEP_HINT: &str = "Run one inference tick (→ or s)";
pub const RELAX_HINT: &str = "Run fast until the network settles";
pub const RESET_HINT: &str = "Back to the feedforward start, iteration 0 (r)";

pub const ITERATION: &str = "iteration";
pub const SPEED: &str = "Speed";
pub const SPEED_UNIT: &str = "ticks/s";
pub const RATE: &str = "Inference rate η";
pub const VARIANT: &str = "Variant";
pub const PRESET: &str = "Graph";
pub const SCALE: &str = "Colour scale";
pub const SCALE_NODE: &str = "per node";
pub const SCALE_LAYER: &str = "per layer";
pub const SCALE_GLOBAL: &str = "global";
pub const INPUTS: &str = "Inputs, parameters and target";
pub const LEARN: &str = "Learning step";
pub const LEARN_RATE: &str = "Learning rate α";
pub const LEARN_BUTTON: &str = "Apply learning step";
pub const LEARN_HINT: &str =
    "Move every parameter by −α × its PC gradient estimate, then start relaxing again (key L)";
pub const LEARN_NONE: &str = "This graph has no parameter to learn.";
pub const TARGET: &str = "target";
pub const DISMISS: &str = "Dismiss";

pub const PLOT_ENERGY: &str = "Energy F";
pub const PLOT_GAP: &str = "|PC − BP| per node (log)";
pub const PLOT_GRADS: &str = "Parameter gradients: PC (filled) vs BP (outline)";
pub const PLOT_LAND: &str =
    "Loss landscape around the parameters (stronger blue: higher loss), and the two steps from here, to one scale";
pub const LAND_BP: &str = "backprop −∂L/∂θ";
/// The landscape's two steps in words (under the chart).
pub fn land_readout(grad: bool, ratio: f64, cos: f64) -> String {
    if !grad {
        return "Backprop's gradient is zero here: there is no step to take.".into();
    }
    format!(
        "PC's step is {} % of backprop's length, at cosine {} with it.",
        num(100.0 * ratio),
        num(cos)
    )
}

pub const LAND_PC: &str = "PC −ĝ (grows onto it as the errors relax)";
pub const GAP_OVERALL: &str = "max |PC − BP|";
pub const HOVER_HINT: &str =
    "Hover a plot to read values at an iteration; hover a node to pick out its gap curve.";

pub const LEGEND_TITLE: &str = "How to read the graph";
pub const LEGEND_VALUE: &str = "value unit v (the belief), with its prediction μ";
pub const LEGEND_ERROR: &str = "error unit ε = v − μ: filled disc, area ∝ |ε|";
pub const LEGEND_GHOST: &str =
    "backprop target δ = −∂L/∂v: dashed ring; ε fills it when PC equals backprop";
pub const LEGEND_SIGN: &str = "colour = sign: orange positive, blue negative; size = magnitude";
pub const LEGEND_CLAMP: &str = "thick border and pin = clamped (input data, output target)";
pub const LEGEND_RELEASED: &str =
    "dashed border, no pin = released (the output or an input): free, it relaxes instead of holding its value";
/// The charts' labels of the output-clamp lines.
pub const PLOT_RELEASED: &str = "released";
pub const PLOT_CLAMPED: &str = "clamped";
/// Where runs start (data panel).
pub const START: &str = "Start from";
pub const START_FF: &str = "feedforward values (v = v̂)";
pub const START_HINT: &str = "Where every run starts. The usual start puts each hidden value \
at its feedforward value, so every hidden error starts at 0 and F(0) = L. A random start moves \
each hidden value by up to ±25 % of its size (the same numbers for the same seed).";
pub const START_FELL_BACK: &str = "This seed moves a value outside its op's domain under strict \
PC (a square root of a negative number, …), so this run starts from the feedforward values; \
try another seed.";

/// The random start's option text.
pub fn start_random_label(seed: u64) -> String {
    format!("random, ±25 % (seed {seed})")
}

/// The start picker's value → start (`ff`, `r7`); the link uses the same keys.
pub fn start_of_key(k: &str) -> Option<crate::engine::Start> {
    use crate::engine::Start;
    match k {
        "ff" => Some(Start::Feedforward),
        _ => k.strip_prefix('r')?.parse().ok().map(Start::Random),
    }
}

/// What the start does under this variant (pc-math §2.3 and pitfall 8).
pub fn start_note(start: crate::engine::Start, variant: &str) -> &'static str {
    use crate::engine::Start;
    match (start, variant) {
        (Start::Feedforward, _) => "Every hidden error starts at 0: F(0) = L.",
        (_, "zil") => "Z-IL needs the feedforward start (its condition C1): from here its D ticks are not exact.",
        (_, "fixed_eta1") => "At rate 1 every error is replaced in one tick, so the start is forgotten: still exact after D ticks.",
        (_, "strict") => "Strict PC takes another path, and on a non-convex energy may settle elsewhere.",
        _ => "The hidden errors start away from 0; fixed prediction still relaxes to backprop.",
    }
}

/// A free input's words (tooltip, aria-label).
pub const INPUT_FREE_WORDS: &str =
    "\nreleased: free, it moves down the energy's gradient (x ← x − η·∂F/∂x)";
/// The inputs' clamp switches (strict PC).
pub const INPUTS_HELD: &str = "Inputs held at their data";
pub const INPUTS_HELD_HINT: &str = "Pressed: the input holds its data (the usual run). Release \
it and strict PC treats it as one more value to infer: it moves down the energy's gradient \
until the network explains the target, PC doing inference rather than backprop. A new run \
starts. The backprop column stays the one at the input's data.";
pub const INPUTS_HELD_STRICT: &str =
    "Inputs can be released under strict PC only: the other variants never let the predictions see a moved input.";

/// The released inputs in words, with what that does to the comparison with backprop.
pub fn inputs_free_words(ids: &[String]) -> String {
    format!(
        "Released: {}. Strict PC infers them; the backprop column stays the one at their data, so the gap no longer measures PC against backprop.",
        ids.join(", ")
    )
}

/// Under the gap chart's title while inputs are inferred (`ids`): what the curves measure now.
pub fn gap_free_note(ids: &[String]) -> String {
    format!(
        "Inferring {}: measured against backprop at the data, not a PC-vs-backprop gap.",
        ids.join(", ")
    )
}

/// The output clamp's switch (data panel; key C).
pub const OUTPUT_CLAMP: &str = "Hold the output at the target";
pub const OUTPUT_CLAMP_HINT: &str = "Clamped (the usual run), the target holds the output and \
the error it leaves flows back through the graph. Release it to see PC without a target: the \
output relaxes to its own prediction and every error drains away. The run goes on from this \
tick, and its replay shows the release here (key C).";
pub const OUTPUT_CLAMP_EXACT: &str = "This variant runs a fixed schedule of D ticks that needs \
the output clamped: release it under fixed prediction or strict PC.";

/// What a released output is doing, from the tick it was released.
pub fn released_words(k: usize) -> String {
    format!("released at tick {k}: free, it relaxes to its own prediction")
}

/// The switch's state in words, for the data panel and the live region.
pub fn clamp_state(released: Option<usize>) -> String {
    match released {
        None => "Output clamped to the target.".into(),
        Some(k) => format!("Output {}.", released_words(k)),
    }
}
pub const LEGEND_PARAM: &str =
    "parameter θ or input: disc = PC estimate of ∂L/∂θ, ring = backprop ∂L/∂θ";
pub const LEGEND_MATCH: &str =
    "check mark = PC equals backprop at this node (|PC − BP| within 10⁻⁶ of its size)";
pub const LEGEND_EDGE: &str =
    "edge colour and width = the error flowing back into it (the error front)";
pub const LEGEND_SCALE_NODE: &str = "sizes scaled per node (each ring has the same size)";
pub const LEGEND_SCALE_LAYER: &str =
    "sizes scaled per layer (one column of the graph shares a scale; errors shrink layer by layer)";
pub const LEGEND_SCALE_GLOBAL: &str = "sizes on one global scale (deep errors look small)";

/// The explanation of each variant: (label, one line, equals backprop?).
pub fn variant_label(key: &str) -> &'static str {
    match key {
        "strict" => "Strict PC",
        "zil" => "Z-IL (exact)",
        "fixed_eta1" => "Fixed prediction, rate 1",
        _ => "Fixed prediction",
    }
}

pub fn variant_explain(key: &str) -> &'static str {
    match key {
        "strict" => {
            "Strict PC: predictions and Jacobians follow the moving values. Plain gradient \
descent on the energy; it does not equal backprop — the errors stay too small."
        }
        "zil" => {
            "Z-IL: strict PC at rate 1, reading each layer at the step equal to its distance \
from the output. Equals backprop exactly on levelled graphs, after a fixed number of steps."
        }
        "fixed_eta1" => {
            "Fixed prediction at rate 1: each tick moves every error one level, so it \
equals backprop exactly after as many steps as the graph is deep, on any graph."
        }
        _ => {
            "Fixed prediction: predictions stay at the feedforward values. The errors converge to \
the backprop gradients on any graph, for any rate 0 < η < 2."
        }
    }
}

pub fn unstable_rate(eta: f64, bound: f64) -> String {
    format!(
        "The inference rate η = {} is at or above the stable limit {} (2σ²): the errors would grow \
without bound. The run is paused; choose a rate below {}.",
        num(eta),
        num(bound),
        num(bound)
    )
}

pub fn diverged(msg: &str) -> String {
    format!(
        "{} The run is paused and the last finite state is kept.",
        msg.trim()
    )
}

pub fn bad_preset(key: &str, err: &str) -> String {
    format!("The graph “{key}” could not be loaded ({err}); the previous graph is kept.")
}

pub const KEEP: &str = "Keep this run for comparison";
pub const KEEP_HINT: &str = "Draw this run's energy and overall gap faintly under the next runs (change the variant, the rate or the data, then run again)";
pub const KEEP_CLEAR: &str = "Clear comparison";
pub const KEEP_EMPTY: &str = "There is no run to keep yet: play, step or relax first.";

/// The kept run's name in the plot keys: its variant, its rate where the variant has one, and
/// its loss (which tells the runs before and after a learning step apart).
pub fn kept_label(
    variant: &str,
    eta: f64,
    uses_rate: bool,
    loss: f64,
    clamps: &[(usize, bool)],
) -> String {
    let rate = if uses_rate {
        format!(", η {}", num(eta))
    } else {
        String::new()
    };
    // a run whose output was released is a different experiment: say when
    let released = clamps
        .iter()
        .find(|c| !c.1)
        .map(|c| format!(", output released at {}", c.0))
        .unwrap_or_default();
    format!(
        "kept: {}{rate}, L {}{released}",
        variant_label(variant),
        num(loss)
    )
}

pub fn bad_learn_rate() -> String {
    format!("{LEARN_RATE} must be a positive number; the previous value is kept.")
}

/// The learning step was refused (the engine's sentence says why).
pub fn learn_refused(err: &str) -> String {
    format!(
        "The learning step was not applied: {} The weights are unchanged; try a smaller learning rate α.",
        err.trim()
    )
}

/// What the last learning step did, in one sentence (numbers from the engine's report).
pub fn learn_result(r: &crate::engine::LearnReport) -> String {
    let mut s = format!(
        "Learning step from the errors at iteration {} (α = {}): loss {} → {}",
        r.at_step,
        num(r.lr),
        num(r.loss_before),
        num(r.loss_after)
    );
    match r.loss_bp_step {
        Some(l) => s += &format!("; backprop's step would give {}.", num(l)),
        None => s += "; backprop's step would leave the domain.",
    }
    match r.rel_err {
        Some(e) if e >= 1e-3 => {
            s += &format!(
                " The PC gradient was {} % off backprop's: relax longer before learning.",
                num(100.0 * e)
            )
        }
        Some(_) => s += " The PC gradient matched backprop's (within 0.1 %).",
        None => s += " Backprop's gradient was zero: the weights are at a minimum.",
    }
    s
}

pub fn bad_number(what: &str) -> String {
    format!("{what} must be a finite number; the previous value is kept.")
}

/// A short human number: 4 significant digits, scientific outside [1e-3, 1e5).
/// Non-finite values are never shown: they become an em dash.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let a = x.abs();
    if !(1e-3..1e5).contains(&a) {
        return sci(x);
    }
    let digits = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{x:.digits$}");
    trim_zeros(&s)
}

/// A compact number for the small in-graph labels: 3 significant digits.
pub fn short(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let a = x.abs();
    if !(1e-2..1e4).contains(&a) {
        // a two-digit exponent keeps one significant digit, so that the number stays as wide
        // as `-2.1e-7` and clear of the node's ring (the exact value is in the tooltip)
        let s = format!("{x:.1e}");
        return if s.len() - s.find('e').unwrap_or(s.len()) > 3 {
            format!("{x:.0e}")
        } else {
            s
        };
    }
    let digits = (2 - a.log10().floor() as i32).clamp(0, 4) as usize;
    trim_zeros(&format!("{x:.digits$}"))
}

/// Scientific notation with 2 significant decimals, e.g. `3.20e-10`. Non-finite → em dash.
pub fn sci(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    format!("{x:.2e}")
}

/// Full precision (shortest round trip), for tooltips and data attributes. Non-finite → "".
pub fn full(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t == "-0" {
            "0".into()
        } else {
            t.into()
        }
    } else {
        s.into()
    }
}

/// Rough advance widths (px) of the card header's fonts (`static/style.css`: the id bold
/// 12.5 px, the subtitle 11 px, DejaVu-like sans), on the wide side.
const ID_PX: f64 = 8.6;
const SUB_PX: f64 = 6.7;
/// Gap between the id and the subtitle (the subtitle's `dx`).
const SUB_GAP: f64 = 6.0;

/// The estimated width (px) of a card's header: `id`, then `sub` after its gap.
fn header_px(id: &str, sub: &str) -> f64 {
    let gap = if sub.is_empty() { 0.0 } else { SUB_GAP };
    ID_PX * id.chars().count() as f64 + gap + SUB_PX * sub.chars().count() as f64
}

/// A card's header (`id`, then `sub` in the muted font) made to fit `avail` px: the subtitle
/// first shrinks to `short` (a leaf's shape, e.g. `[3]`), then is cut with "…", then goes; a
/// long id is cut last. The full texts stay in the card's tooltip.
pub fn fit_header(id: &str, sub: &str, short: &str, avail: f64) -> (String, String) {
    let w_id = |t: &str| header_px(t, "");
    let w_sub = |t: &str| header_px("", t);
    let cut = |t: &str, px: f64, per: f64| -> String {
        let keep = ((px / per).floor() as usize).saturating_sub(1);
        let mut out: String = t.chars().take(keep).collect();
        out.push('…');
        out
    };
    if w_id(id) + w_sub(sub) <= avail {
        return (id.into(), sub.into());
    }
    if !short.is_empty() && w_id(id) + w_sub(short) <= avail {
        return (id.into(), short.into());
    }
    let room = avail - w_id(id) - SUB_GAP;
    if room >= 4.0 * SUB_PX {
        return (id.into(), cut(sub, room, SUB_PX));
    }
    if w_id(id) <= avail {
        return (id.into(), String::new());
    }
    (cut(id, avail, ID_PX), String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_headers_fit_their_room() {
        let width = |(id, sub): &(String, String)| header_px(id, sub);
        // fits: unchanged
        let h = fit_header("y1", "θ·y0", "", 150.0);
        assert_eq!(h, ("y1".to_string(), "θ·y0".to_string()));
        // a vector parameter with its check mark: the shape alone
        let h = fit_header("W2", "param [3]", "[3]", 75.0);
        assert_eq!(h, ("W2".to_string(), "[3]".to_string()));
        // a long formula is cut, a very long id goes last
        for (id, sub, avail) in [
            ("h", "tanh(w1 * x + w2 * y + w3 * z + b)", 150.0),
            ("activation_of_the_hidden_layer", "tanh(a)", 150.0),
            ("w", "param", 20.0),
        ] {
            let h = fit_header(id, sub, "", avail);
            assert!(width(&h) <= avail, "{h:?} wider than {avail}");
            assert!(!h.0.is_empty(), "{h:?}");
            assert!(h.0 == id || h.0.ends_with('…'), "{h:?}");
            assert!(
                h.1.is_empty() || sub.starts_with(h.1.trim_end_matches('…')),
                "{h:?}"
            );
        }
    }
    #[test]
    fn never_nan() {
        assert_eq!(num(f64::NAN), "—");
        assert_eq!(num(f64::INFINITY), "—");
        assert_eq!(sci(f64::NEG_INFINITY), "—");
        assert_eq!(full(f64::NAN), "");
        assert_eq!(num(3.16227766), "3.162");
        assert_eq!(num(-11.3705), "-11.37");
        assert_eq!(num(1e-7), "1.00e-7");
        assert_eq!(num(2.0), "2");
        assert_eq!(short(0.027891), "0.0279");
        assert_eq!(short(-0.1117), "-0.112");
        assert_eq!(short(0.0012), "1.2e-3");
        // two-digit exponents: one significant digit, no wider than "-2.1e-7"
        assert_eq!(short(7.8e-10), "8e-10");
        assert_eq!(short(-3.44e-12), "-3e-12");
        assert_eq!(short(2.1e-7), "2.1e-7");
        assert_eq!(short(1.5e12), "1.5e12");
        for x in [7.8e-10, -9.96e-100, 1e300, -2.5e-15] {
            assert!(short(x).len() <= "-2.1e-7".len(), "{x}: {}", short(x));
        }
        assert_eq!(short(f64::NAN), "—");
    }
}
