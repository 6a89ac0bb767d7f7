//! Every user-facing string of the teaching layer (editor, import/export, replay, learning).
//! Kept apart from `text.rs` so parallel work on the playground merges cleanly.

/// The preset key used while a typed or imported graph is shown.
pub const CUSTOM_KEY: &str = "custom";
pub const CUSTOM_TITLE: &str = "Your graph (editor)";

// Editor
pub const EDITOR_TITLE: &str = "Type your own graph";
pub const EDITOR_INTRO: &str = "Write a computation graph, one statement per line. The graph \
above is rebuilt as you type (after a short pause, or at once with Apply / Ctrl+Enter); while \
the text has an error, the previous graph stays live.";
pub const EDITOR_LABEL: &str = "Graph expression editor";
pub const APPLY: &str = "Apply";
pub const APPLY_HINT: &str = "Build the graph from the text now (Ctrl+Enter)";
pub const EXAMPLES: &str = "Examples";
pub const EXAMPLES_PICK: &str = "Load an example…";
pub const HELP_SHOW: &str = "Cheat sheet";
pub const IMPORT: &str = "Import file…";
pub const IMPORT_HINT: &str = "Load a graph file (JSON, format 1) or an expression text file";
pub const OK_PREFIX: &str = "✓ live:";

pub fn ok_status(nodes: usize) -> String {
    format!("{OK_PREFIX} {nodes} nodes")
}

pub fn pending_status() -> &'static str {
    "… checking"
}

/// Short examples beyond the presets: (title, text).
pub const SHORT_EXAMPLES: &[(&str, &str)] = &[
    (
        "One weight: y = w·x",
        "# the smallest graph: one weight\ninput x = 1.5\nparam w = 0.8\ny = w * x\ntarget y = 2\n",
    ),
    (
        "Two layers: y = w2·tanh(w1·x)",
        "input x = 0.8\nparam w1 = 1.5, w2 = -0.9\nh = tanh(w1 * x)\ny = w2 * h\ntarget y = 0.4\n",
    ),
    (
        "A vector layer",
        "input x = [1, -0.5]\nparam W = [[0.5, -0.3], [0.8, 0.2]], b = [0.1, 0]\nh = linear(W, x, b, act = tanh)\ny = sum(h)\ntarget y = 1\n",
    ),
    (
        "Fan-out: y = sin a · cos a",
        "input x = 0.5\nparam w = 2\na = w * x\ny = sin(a) * cos(a)\ntarget y = -0.3\n",
    ),
];

pub fn where_error(line: usize, column: usize, msg: &str) -> String {
    format!("line {line}, column {column}: {msg}")
}

pub fn json_error(msg: &str) -> String {
    format!("The graph file is not valid: {msg}")
}

pub fn graph_error(msg: &str) -> String {
    format!("The text parses, but the graph is not valid: {msg}")
}

pub const NOT_APPLIED: &str = "✗ not applied: the previous graph is kept.";

pub fn bad_graph(err: &str) -> String {
    format!("The graph could not be loaded ({err}); the previous graph is kept.")
}

pub fn read_failed(name: &str) -> String {
    format!("The file “{name}” could not be read; the previous graph is kept.")
}

// Export
pub const EXPORT_TITLE: &str = "Export";
pub const EXPORT_JSON: &str = "Graph file (JSON)";
pub const EXPORT_JSON_HINT: &str =
    "Download the current graph, with its current values, as a graph file (format 1)";
pub const EXPORT_SVG: &str = "Graph picture (SVG)";
pub const EXPORT_SVG_HINT: &str = "Download the graph drawing as a stand-alone SVG";
pub const EXPORT_ANIM: &str = "Animation (SVG)";
pub const EXPORT_ANIM_HINT: &str =
    "Download the relaxation as an SVG that plays by itself: the run from iteration 0, the error front travelling, the numbers changing (open it in a browser or put it in a page as an image)";
pub const ANIM_ITERATION: &str = "iteration";
pub const ANIM_NEEDS_GRAPH: &str =
    "The animation is drawn from the graph on screen: switch the table view off and try again.";
pub const EXPORT_PNG: &str = "Plots (PNG)";
pub const EXPORT_PNG_HINT: &str = "Download the three plots as one PNG image";
pub const EXPORT_CSV: &str = "Trace (CSV)";
pub const EXPORT_CSV_HINT: &str =
    "Download the run so far: per recorded step the energy, the gaps and every node's ε and δ";
pub const EXPORT_TRACE: &str = "Trace (JSON)";
pub const EXPORT_TRACE_HINT: &str =
    "Download the run so far as JSON: the graph file, the variant, and per recorded step the \
energy, the gaps and every node's ε and δ";

// Replay
pub const REPLAY: &str = "Replay";
pub const REPLAY_HINT: &str = "Drag to see the state at any tick of this run. Scrubbing pauses; \
the state is recomputed exactly by re-running from tick 0 (the engine is deterministic), so no \
history is stored. Play or Step continues from the shown tick.";

pub fn replay_label(k: usize, max: usize) -> String {
    format!("tick {k} of {max}")
}

// Learning panel
pub const LEARN_TITLE: &str = "Learning: predictive coding vs backprop";
pub const LEARN_INTRO: &str = "The same small network, the same initial weights and the same \
example order, trained twice: once with the predictive-coding update (relax T ticks per example \
with input and target clamped, then move each weight along its local PC gradient), once with \
exact backprop. If PC computes backprop's gradients, the two loss curves fall together and the \
cosine between the two updates stays near 1.";
pub const TASK: &str = "Task";
pub const SEED: &str = "Seed";
pub const TRAIN: &str = "Train";
pub const TRAIN_PAUSE: &str = "Pause";
pub const TRAIN_RESET: &str = "Reset";
pub const EPOCH: &str = "+1 epoch";
pub const EPOCH_HINT: &str = "Train one epoch (one pass over the data)";
pub const EPOCH_LABEL: &str = "epoch";
pub const PC: &str = "PC";
pub const BP: &str = "BP";
pub const PC_LOSS: &str = "PC loss";
pub const BP_LOSS: &str = "BP loss";
pub const COSINE: &str = "cos(PC, BP)";
pub const LOSS_CHART: &str = "Loss per epoch (log): PC and BP";
pub const COS_CHART: &str = "Cosine between the PC update and the BP gradient";
pub const REGION_PC: &str = "Decision region, PC weights";
pub const REGION_BP: &str = "Decision region, BP weights";
pub const FIT: &str = "Fit: data (dots), PC (orange), BP (blue)";

pub fn task_label(name: &str) -> &'static str {
    match name {
        "xor" => "XOR (2-D, 4 points)",
        "sine" => "Regression: noisy sine (1-D)",
        _ => "Classification: two moons (2-D)",
    }
}

pub fn setup(sizes: &str, ticks: usize, lr: f64, batch: usize, eta: f64) -> String {
    format!(
        "Network {sizes} (tanh hidden layers) · T = {ticks} inference ticks per example at η = {eta} \
· learning rate {lr} · batch {batch}"
    )
}

pub fn bad_seed(s: &str) -> String {
    format!("The seed “{s}” must be a whole number ≥ 0; the previous seed is kept.")
}
