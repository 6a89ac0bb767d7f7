//! The built-in graphs. A local fallback until `engine::presets` is merged; the app only uses
//! `all()`, `get()` and `default_key()`.

pub struct Preset {
    pub key: &'static str,
    pub title: &'static str,
    pub blurb: &'static str,
    pub json: &'static str,
    /// The inference rate the preset starts with.
    pub eta: f64,
    /// Ticks per second on load: slow enough to watch the error front travel.
    pub speed: f64,
}

static PRESETS: [Preset; 5] = [
    Preset {
        key: "millidge",
        title: "Millidge et al.'s test graph",
        blurb: "y1 = θ·y0, y2 = √y1, y3 = y0², y4 = tan y2 + sin y3, target 1",
        json: include_str!("fallback/millidge_numerics.json"),
        eta: 0.1,
        speed: 24.0,
    },
    Preset {
        key: "chain",
        title: "Chain",
        blurb: "y = w2 · tanh(w1 · x)",
        json: include_str!("fallback/chain.json"),
        eta: 0.1,
        speed: 24.0,
    },
    Preset {
        key: "diamond",
        title: "Diamond (levelled branching)",
        blurb: "a = w1·x; s = sin a + tanh a; y = w2·s",
        json: include_str!("fallback/diamond.json"),
        eta: 0.1,
        speed: 24.0,
    },
    Preset {
        key: "skip",
        title: "Skip connection (not levelled)",
        blurb: "a = w1·x; y = w2·tanh(a) + a",
        json: include_str!("fallback/skip.json"),
        eta: 0.1,
        speed: 24.0,
    },
    Preset {
        key: "mlp_232",
        title: "2-3-2 MLP (vector nodes)",
        blurb: "h = tanh(W1 x + b1); y = W2 h + b2",
        json: include_str!("fallback/mlp_232.json"),
        eta: 0.1,
        speed: 24.0,
    },
];

pub fn all() -> &'static [Preset] {
    &PRESETS
}

pub fn get(key: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.key == key)
}

pub fn default_key() -> &'static str {
    "millidge"
}
