//! User-facing strings of the teaching layer: the narrative beside the playground, the hover
//! card, slow motion and direct manipulation. (The rest of the app's strings are in `text.rs`.)

// ---- the narrative ---------------------------------------------------------------------------

pub const STORY_TITLE: &str = "What you are looking at";

/// (id, heading, paragraphs)
pub const STORY: [(&str, &str, &[&str]); 6] = [
    (
        "story-what",
        "Predictive coding in one paragraph",
        &[
            "Backprop computes gradients with a separate backward pass that carries exact \
             derivatives from the loss to every weight. Predictive coding (PC) gets the same \
             numbers without that pass. Every node keeps a belief v, and its parents predict \
             μ = f(parents). The mismatch ε = v − μ is an error unit. Clamp the inputs to the data \
             and the output to the target, then let every belief move downhill on the energy \
             F = Σ ½ ε². Nothing travels backwards on its own: the errors spread because each \
             node only reacts to its neighbours (Whittington & Bogacz 2017).",
            "The clamps are the lesson too. Release the output (the switch under the target, or \
             key C) once the errors have settled: it relaxes to its own prediction, every error \
             drains to zero with it, and PC carries no gradient any more. The target was the only \
             source of error. Clamp it again and the errors return to the backprop values. Under \
             strict PC an input can be released as well: it becomes one more belief, and the \
             network moves it until its output explains the target, which is inference, not \
             backprop.",
        ],
    ),
    (
        "story-marks",
        "What each mark on the screen means",
        &[
            "Each box is a node. The grey circle on its left is the value unit v, and the numbers \
             are v, its prediction μ, its error ε and the backprop target δ = −∂L/∂v. The disc on \
             the right is the error unit: its area grows with |ε|, and orange means positive, blue \
             negative. The dashed ring around it is δ, what backprop would compute. Parameter and \
             input boxes show the PC estimate ĝ of ∂L/∂θ (disc) against the backprop gradient \
             (ring). A thick border with a pin means the node is clamped. Edges light up with the \
             error flowing back through them.",
            "Hover, focus or tap a node to open its card with the live numbers and its update \
             rule. Drag an input or the target sideways to change it (hold Shift for fine steps). \
             Click a parameter to type a new value.",
        ],
    ),
    (
        "story-fixed",
        "Why the errors end up equal to the gradients",
        &[
            "Under fixed prediction, μ stays at the feedforward values. A hidden node stops moving \
             when its own error equals what its children send back: ε_i = Σ_j J_ji ε_j, where \
             J_ji = ∂f_j/∂v_i is taken at the feedforward values. This is the backprop recursion \
             δ_i = Σ_j J_ji δ_j. The seed is the same too: the output error ε_out = y − ŷ equals \
             −∂L/∂ŷ. Working backwards from the output, each ε_i equals δ_i at equilibrium, so the \
             discs fill the rings exactly. The parameter estimates ĝ then equal ∂L/∂θ (Millidge, \
             Tschantz & Buckley 2020). Each tick moves an error one node closer to the inputs with \
             probability η. That is why deep nodes fill last, and why at η = 1 the answer is exact \
             after as many ticks as the graph is deep.",
        ],
    ),
    (
        "story-strict",
        "Why strict PC stops short",
        &[
            "Strict PC recomputes the predictions from the moving beliefs. This is plain gradient \
             descent on F, which is the textbook PC model. When the hidden beliefs move towards \
             the target, the output prediction ŷ moves too, so the output error shrinks before it \
             has finished spreading. In the small-error limit every error is the backprop value \
             scaled by 1/(1 + G), where G = Σ_i σ_i² (∂ŷ/∂v_i)² measures how much the hidden nodes \
             can move the output. The gradients therefore point the right way but come out too \
             small, by the relative amount G/(1 + G). Loosening the output clamp (a large output \
             variance) shrinks the gap.",
        ],
    ),
    (
        "story-zil",
        "Why Z-IL is exact, and why it needs a levelled graph",
        &[
            "Z-IL (Song et al. 2020) runs strict PC at rate 1 and reads the errors on a schedule: \
             a node at distance h from the output is read at tick h. At rate 1 each belief takes in \
             all the feedback it receives in a single tick, so the error front moves exactly one \
             level per tick. When the front reaches a node, its parents have not moved yet, so its \
             prediction and Jacobians are still the feedforward ones and its error is exactly δ. \
             This only works when every path from a node to the output has the same length (a \
             levelled graph). With a skip connection, errors arrive through the short path too \
             early. Salvatori et al. (2021) fix this by inserting identity nodes along short \
             edges. Fixed prediction at rate 1 is exact after D ticks on any graph (Rosenbaum \
             2022).",
        ],
    ),
    (
        "story-local",
        "What “local” means here",
        &[
            "Open any card. A belief's update reads only its own error, the errors of its \
             children, and the local Jacobians ∂f_j/∂v_i. Those depend on the values of the \
             node's parents, its children and the children's other parents (the co-parents). The \
             lens dims everything else: nothing else in the graph enters the update. A weight's \
             update reads only the error of the node it feeds and the activity entering that node \
             (“error × presynaptic activity”). There is no global backward pass and no stored \
             chain of derivatives, which is the point of PC for brains and neuromorphic hardware.",
        ],
    ),
];

pub const REFERENCES_TITLE: &str = "References";
pub const REFERENCES: [&str; 5] = [
    "Millidge, B., Tschantz, A. & Buckley, C. L. (2020). Predictive coding approximates backprop \
     along arbitrary computation graphs. arXiv:2006.04182.",
    "Whittington, J. C. R. & Bogacz, R. (2017). An approximation of the error backpropagation \
     algorithm in a predictive coding network with local Hebbian synaptic plasticity. Neural \
     Computation 29(5).",
    "Song, Y., Lukasiewicz, T., Xu, Z. & Bogacz, R. (2020). Can the brain do backpropagation? \
     Exact implementation of backpropagation in predictive coding networks. NeurIPS 2020.",
    "Salvatori, T., Song, Y., Lukasiewicz, T., Bogacz, R. & Xu, Z. (2021). Predictive coding can do \
     exact backpropagation on convolutional and recurrent neural networks. arXiv:2103.03725.",
    "Rosenbaum, R. (2022). On the relationship between predictive coding and backpropagation. \
     PLOS ONE 17(3).",
];

// ---- the hover card --------------------------------------------------------------------------

pub const CARD_HINT: &str = "Hover, focus or tap a node to see its update rule with the live \
numbers. The lens dims everything the update does not read.";
pub const CARD_LABEL: &str = "Local update of the focused node";
pub const CARD_CLOSE: &str = "Close the card (Esc)";
pub const CARD_V: &str = "value v";
pub const CARD_MU: &str = "prediction μ";
pub const CARD_EPS: &str = "error ε = v − μ";
pub const CARD_XI: &str = "ξ = ε/σ²";
pub const CARD_DELTA: &str = "backprop δ = −∂L/∂v";
pub const CARD_GHAT: &str = "PC estimate ĝ";
pub const CARD_GRAD: &str = "backprop ∂L/∂";
pub const CARD_RULE_HIDDEN: &str = "Its next update (one tick):";
pub const CARD_RULE_OUTPUT: &str =
    "The output is clamped to the target, so it never moves; its error is the seed:";
pub const CARD_RULE_LEAF: &str =
    "Its gradient estimate, from the errors of the nodes it feeds (error × presynaptic activity):";
pub const CARD_AT_FF: &str = "Jacobians at the feedforward values (fixed prediction).";
pub const CARD_AT_CUR: &str = "Jacobians at the current values (strict: predictions move).";
pub const CARD_ZIL_NOTE: &str =
    "Z-IL: ĝ is the sum of the reads made when the front passed; the line above uses the current errors.";
pub const CARD_EDIT_HINT: &str = "Click or press Enter to type a new value.";
pub const CARD_DRAG_HINT: &str = "Drag sideways to change it (Shift: fine).";

pub fn card_unit(k: usize, n: usize) -> String {
    format!("unit {} of {n}", k + 1)
}

/// Under what the weight step is shown (α is the learning rate of the slow-motion phase 6).
pub const CARD_WEIGHT_STEP: &str = "weight step Δθ = −α ĝ with α = ";

// ---- slow motion -----------------------------------------------------------------------------

pub const SLOW_TITLE: &str = "Slow motion";
pub const SLOW_START: &str = "Walk through one relaxation";
pub const SLOW_START_HINT: &str =
    "Step through one relaxation phase by phase, with captions (keys: → next, ← previous, Esc exit)";
pub const SLOW_NEXT: &str = "Next";
pub const SLOW_PREV: &str = "Previous";
pub const SLOW_EXIT: &str = "Exit";
pub const SLOW_PHASES: [&str; 6] = [
    "Feedforward pass",
    "Target clamped",
    "Output error appears",
    "Errors flow back",
    "Equilibrium",
    "Weight update",
];

pub fn slow_heading(phase: usize) -> String {
    format!(
        "{} {} of 6: {}",
        "Phase",
        phase,
        SLOW_PHASES
            .get(phase.wrapping_sub(1))
            .copied()
            .unwrap_or("")
    )
}

use super::text::num;

pub fn cap_feedforward(yhat: &str) -> String {
    format!(
        "The input and the parameters flow forward. Every node computes its prediction μ from its \
parents and starts with its belief at v = μ, so every hidden error is 0. The network predicts \
ŷ = {yhat}."
    )
}

pub fn cap_clamp(y: &str, yhat: &str) -> String {
    format!(
        "The output's belief is pinned to the target y = {y} (the pin). Its prediction is still \
ŷ = {yhat}. No other node has noticed anything yet: nothing has been sent anywhere."
    )
}

pub fn cap_output_error(y: &str, yhat: &str, eps: &str, loss: &str) -> String {
    format!(
        "The output error appears: ε_out = y − ŷ = {y} − {yhat} = {eps}. This equals −∂L/∂ŷ, the \
same seed backprop starts from (loss L = {loss}). Only the output's parents can see it."
    )
}

pub fn cap_tick(t: usize, eta: f64, new: &str, changed: &str, reached_all: bool) -> String {
    let mut s = format!("Tick {t}: ");
    if !new.is_empty() {
        s.push_str(&format!("the error front reached {new}. "));
    }
    if !changed.is_empty() {
        s.push_str(&format!("The errors of {changed} changed. "));
    }
    if new.is_empty() && changed.is_empty() {
        s.push_str("no error changed. ");
    }
    s.push_str(&format!(
        "Each hidden node compared its own error with what its children sent back and moved its \
belief a step η = {} towards agreement, using only its neighbours.",
        num(eta)
    ));
    if reached_all {
        s.push_str(" The front has now reached every node.");
    }
    s
}

pub fn cap_equilibrium(variant: &str, ticks: usize, gap: f64, ratio: f64) -> String {
    match variant {
        "strict" => format!(
            "Strict PC settled after {ticks} ticks, short of backprop: the predictions moved with \
the beliefs, so the output error shrank while it was spreading. The parameter estimates are about \
{} of the backprop gradient, the 1/(1 + G) of the narrative below. Max |PC − BP| = {}.",
            num(ratio),
            num(gap)
        ),
        "zil" | "fixed_eta1" => format!(
            "Exact after {ticks} ticks, one tick per level of the graph. Max |PC − BP| = {}{}",
            num(gap),
            if gap < 1e-9 {
                ": every estimate equals backprop."
            } else {
                ": not exact here, because this graph is not levelled."
            }
        ),
        _ => format!(
            "Equilibrium after {ticks} ticks: every error ε now equals its backprop target δ \
(the discs fill the rings), and the parameter estimates ĝ equal ∂L/∂θ. Max |PC − BP| = {}.",
            num(gap)
        ),
    }
}

pub fn cap_weights(alpha: f64, steps: &str, l0: f64, l1: f64) -> String {
    format!(
        "Weight update with learning rate α = {}: {steps}. Applied: a new feedforward pass gives the \
loss {} (it was {}). Next starts another relaxation with the new weights.",
        num(alpha),
        num(l1),
        num(l0)
    )
}

pub fn weight_step(name: &str, pc: f64, bp: f64) -> String {
    format!(
        "Δ{name} = −α ĝ = {} by PC, {} by backprop",
        num(pc),
        num(bp)
    )
}

pub const CAP_NO_PARAMS: &str = "This graph has no parameters to update.";

pub const CARD_EDIT_LABEL: &str = "New value of";
