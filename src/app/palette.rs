//! Colours that carry meaning, chosen to stay distinguishable under the common colour-vision
//! deficiencies, and the test that says so.
//!
//! * Sign (graph discs, rings, edges, gradient bars): orange [`POS`] for positive, blue [`NEG`]
//!   for negative, one pair for both themes. Blue/orange is the pair that survives protanopia,
//!   deuteranopia and tritanopia (ΔE ≥ 100 in every simulation); the sign is also written in
//!   every number.
//! * Per-node plot lines and the matching swatches in the graph: the Okabe–Ito categorical
//!   palette (Okabe & Ito 2008, "Color Universal Design") without black (the overall line is
//!   drawn in the text colour) and without yellow (invisible on white), in one variant per theme
//!   ([`PALETTE`] light, [`PALETTE_DARK`] dark): the same six hues, darker on the light theme and
//!   lighter on the dark one, so that every colour reaches 3:1 against every background it is
//!   drawn on (WCAG 1.4.11; Okabe–Ito's own orange and sky blue reach only 2.0–2.3:1 on white).
//!   Every pair keeps a CIE ΔE*ab ≥ 15 under full-severity protan/deutan/tritan simulation
//!   (Machado, Oliveira & Fernandes 2009); the previous mixed palette fell to 4.3 under
//!   deuteranopia. Lines are also named in the plot keys and in the table view, so colour is
//!   never the only cue.
//! * The page applies the theme's palette as CSS custom properties `--c0` … `--c5` on `<html>`
//!   (`a11y::apply_theme`), so SVG swatches and plot keys follow a theme switch; the canvas
//!   plots pick [`series`] for the active theme.
//!
//! Pure Rust: unit-tested natively (see `lib.rs`), including the contrast of every colour
//! against the backgrounds declared in `static/*.css`.

/// Positive sign: ≥ 3:1 on every light and dark background of the page.
pub const POS: &str = "#d86500";
/// Negative sign: ≥ 3:1 on every light and dark background of the page.
pub const NEG: &str = "#4a85e0";

/// Okabe–Ito hues for the light theme (darker): blue, orange, bluish green, reddish purple,
/// sky blue, vermillion.
pub const PALETTE: [&str; 6] = [
    "#005a99", "#cd7600", "#008251", "#c1719e", "#0f94cf", "#b64300",
];

/// The same hues for the dark theme (lighter where Okabe–Ito is too dark on dark grey).
pub const PALETTE_DARK: [&str; 6] = [
    "#367dbf", "#e69f00", "#0cab7c", "#c978a6", "#62c6ff", "#d55e00",
];

/// The series palette of a theme.
pub fn series(dark: bool) -> &'static [&'static str; 6] {
    if dark {
        &PALETTE_DARK
    } else {
        &PALETTE
    }
}

/// Node `i`'s series colour on the given theme.
pub fn node_colour_in(i: usize, dark: bool) -> &'static str {
    let p = series(dark);
    p[i % p.len()]
}

/// Node `i`'s series colour as a CSS value that follows the page theme (`--cK`, set by
/// `a11y::apply_theme`), falling back to the light colour.
pub fn node_colour_css(i: usize) -> String {
    let k = i % PALETTE.len();
    format!("var(--c{k}, {})", PALETTE[k])
}

/// The custom properties of a theme: `(--c0, colour)` …
pub fn css_vars(dark: bool) -> impl Iterator<Item = (String, &'static str)> {
    series(dark)
        .iter()
        .enumerate()
        .map(|(k, c)| (format!("--c{k}"), *c))
}

/// Plot backgrounds (light and dark theme), as drawn by `plots`.
pub const PLOT_BG_LIGHT: &str = "#ffffff";
pub const PLOT_BG_DARK: &str = "#1b1e24";

/// Node `i`'s series colour on the light theme.
pub fn node_colour(i: usize) -> &'static str {
    node_colour_in(i, false)
}

/// `#rrggbb` → linear-light RGB in [0, 1].
pub fn linear_rgb(hex: &str) -> [f64; 3] {
    let ch = |i: usize| {
        let c =
            u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0) as f64 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    [ch(1), ch(3), ch(5)]
}

/// Colour-vision deficiency, full severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cvd {
    None,
    Protan,
    Deutan,
    Tritan,
}

/// Machado et al. (2009) simulation matrices (severity 1.0), applied in linear RGB.
fn matrix(c: Cvd) -> [[f64; 3]; 3] {
    match c {
        Cvd::None => [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        Cvd::Protan => [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ],
        Cvd::Deutan => [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ],
        Cvd::Tritan => [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ],
    }
}

/// CIE L*a*b* (D65) of a colour as seen with `cvd`.
pub fn lab(hex: &str, cvd: Cvd) -> [f64; 3] {
    let l = linear_rgb(hex);
    let m = matrix(cvd);
    let s: Vec<f64> = (0..3)
        .map(|i| (m[i][0] * l[0] + m[i][1] * l[1] + m[i][2] * l[2]).clamp(0.0, 1.0))
        .collect();
    let x = 0.4124 * s[0] + 0.3576 * s[1] + 0.1805 * s[2];
    let y = 0.2126 * s[0] + 0.7152 * s[1] + 0.0722 * s[2];
    let z = 0.0193 * s[0] + 0.1192 * s[1] + 0.9505 * s[2];
    let f = |t: f64| {
        if t > 0.008856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let (fx, fy, fz) = (f(x / 0.95047), f(y), f(z / 1.08883));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// CIE76 colour difference between two colours as seen with `cvd`.
pub fn delta_e(a: &str, b: &str, cvd: Cvd) -> f64 {
    let (p, q) = (lab(a, cvd), lab(b, cvd));
    ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
}

/// WCAG contrast ratio.
pub fn contrast(a: &str, b: &str) -> f64 {
    let lum = |h: &str| {
        let l = linear_rgb(h);
        0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]
    };
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The smallest pairwise ΔE of a palette under `cvd`, with the pair.
pub fn min_delta_e<'a>(pal: &[&'a str], cvd: Cvd) -> (f64, &'a str, &'a str) {
    let mut best = (f64::INFINITY, "", "");
    for i in 0..pal.len() {
        for j in i + 1..pal.len() {
            let d = delta_e(pal[i], pal[j], cvd);
            if d < best.0 {
                best = (d, pal[i], pal[j]);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    const ALL: [Cvd; 4] = [Cvd::None, Cvd::Protan, Cvd::Deutan, Cvd::Tritan];

    #[test]
    fn series_palette_survives_colour_vision_deficiencies() {
        for pal in [PALETTE, PALETTE_DARK] {
            for c in ALL {
                let (d, a, b) = min_delta_e(&pal, c);
                assert!(d >= 15.0, "{c:?}: {a} and {b} are only ΔE {d:.1} apart");
            }
        }
    }

    #[test]
    fn the_test_can_fail_the_old_palette_did() {
        let old = [
            "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#882255", "#44aa99", "#999933", "#8c564b",
        ];
        let (d, _, _) = min_delta_e(&old, Cvd::Deutan);
        assert!(d < 15.0, "ΔE {d}");
    }

    #[test]
    fn sign_colours_stay_far_apart() {
        for c in ALL {
            let d = delta_e(POS, NEG, c);
            assert!(d >= 60.0, "{c:?}: sign colours ΔE {d:.1}");
        }
    }

    /// The page's stylesheets, as shipped.
    const CSS: [(&str, &str); 4] = [
        ("style.css", include_str!("../../static/style.css")),
        ("robust.css", include_str!("../../static/robust.css")),
        ("embed.css", include_str!("../../static/embed.css")),
        ("teach.css", include_str!("../../static/teach.css")),
    ];

    /// Every background colour the stylesheets declare (`--bg`, `--panel`, `--card`,
    /// `--unit-bg`, in any theme block), split into light and dark by luminance.
    fn page_backgrounds() -> (Vec<String>, Vec<String>) {
        let (mut light, mut dark) = (vec![], vec![]);
        for (_, css) in CSS {
            for var in ["--bg:", "--panel:", "--card:", "--unit-bg:"] {
                for (at, _) in css.match_indices(var) {
                    let v = css[at + var.len()..].trim_start();
                    let hex: String = v.chars().take(7).collect();
                    if hex.len() != 7
                        || !hex.starts_with('#')
                        || !hex[1..].chars().all(|c| c.is_ascii_hexdigit())
                    {
                        continue;
                    }
                    let hex = hex.to_ascii_lowercase();
                    let list = if contrast(&hex, "#000000") > contrast(&hex, "#ffffff") {
                        &mut light
                    } else {
                        &mut dark
                    };
                    if !list.contains(&hex) {
                        list.push(hex);
                    }
                }
            }
        }
        light.push(PLOT_BG_LIGHT.to_string());
        dark.push(PLOT_BG_DARK.to_string());
        (light, dark)
    }

    fn failures(fgs: &[&str], bgs: &[String]) -> Vec<String> {
        let mut bad = vec![];
        for fg in fgs {
            for bg in bgs {
                let r = contrast(fg, bg);
                if r < 3.0 {
                    bad.push(format!("{fg} on {bg}: {r:.2}:1"));
                }
            }
        }
        bad
    }

    #[test]
    fn the_stylesheets_declare_light_and_dark_backgrounds() {
        let (light, dark) = page_backgrounds();
        // --bg, --panel/--card (#fff), --unit-bg on each side, and the plot background
        assert!(light.len() >= 3, "{light:?}");
        assert!(dark.len() >= 4, "{dark:?}");
        assert!(light.contains(&"#f1f3f6".to_string()), "{light:?}");
        assert!(dark.contains(&"#2b3039".to_string()), "{dark:?}");
    }

    /// WCAG 1.4.11 (non-text contrast): every colour that carries meaning reaches 3:1 against
    /// every background of its theme (page, panel, card, unit background, plot).
    #[test]
    fn meaningful_colours_reach_3_to_1_on_every_background_of_their_theme() {
        let (light, dark) = page_backgrounds();
        let mut bad = failures(&[POS, NEG], &light);
        bad.extend(failures(&[POS, NEG], &dark));
        bad.extend(failures(&PALETTE, &light));
        bad.extend(failures(&PALETTE_DARK, &dark));
        assert!(bad.is_empty(), "below 3:1: {bad:#?}");
    }

    /// The graph's edges (a quiet edge is drawn in `--edge`, opaque) reach 3:1 on the panel
    /// the graph sits on, in every theme block that declares both.
    #[test]
    fn edges_reach_3_to_1_on_the_graph_panel_in_every_theme() {
        let hex_of = |block: &str, var: &str| -> Option<String> {
            let at = block.find(var)?;
            let v = block[at + var.len()..].trim_start();
            Some(v.chars().take(7).collect::<String>().to_ascii_lowercase())
        };
        let mut seen = 0;
        for (name, css) in CSS {
            for block in css.split('}') {
                if let (Some(edge), Some(panel)) =
                    (hex_of(block, "--edge:"), hex_of(block, "--panel:"))
                {
                    let r = contrast(&edge, &panel);
                    assert!(
                        r >= 3.0,
                        "{name}: --edge {edge} on --panel {panel} is {r:.2}:1"
                    );
                    seen += 1;
                }
            }
        }
        // light and dark in style.css (default and media query), forced light and dark in embed.css
        assert!(seen >= 4, "{seen} theme blocks");
        // the old quiet edge, --edge at 28 % opacity on white, was far below
        let faint = |c: u8| (0.28 * c as f64 + 0.72 * 255.0).round() as u8;
        let old = format!("#{:02x}{:02x}{:02x}", faint(0x8a), faint(0x94), faint(0xa6));
        assert!(contrast(&old, "#ffffff") < 1.5, "{old}");
    }

    #[test]
    fn the_contrast_test_can_fail_okabe_ito_on_white() {
        let (light, _) = page_backgrounds();
        let okabe_ito = [
            "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
        ];
        let bad = failures(&okabe_ito, &light);
        assert!(bad.iter().any(|b| b.starts_with("#e69f00")), "{bad:?}");
        assert!(bad.iter().any(|b| b.starts_with("#56b4e9")), "{bad:?}");
        // and the light palette would not do on the dark theme
        let (_, dark) = page_backgrounds();
        assert!(!failures(&PALETTE, &dark).is_empty());
        // the contrast formula itself: black on white is 21:1, a colour on itself 1:1
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
        assert!((contrast(POS, POS) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn css_vars_follow_the_theme() {
        let light: Vec<_> = css_vars(false).collect();
        let dark: Vec<_> = css_vars(true).collect();
        assert_eq!(light[0], ("--c0".to_string(), PALETTE[0]));
        assert_eq!(dark[5], ("--c5".to_string(), PALETTE_DARK[5]));
        assert_eq!(node_colour_css(7), format!("var(--c1, {})", PALETTE[1]));
        assert_eq!(node_colour_in(8, true), PALETTE_DARK[2]);
    }
}
