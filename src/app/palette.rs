//! Colours that carry meaning, chosen to stay distinguishable under the common colour-vision
//! deficiencies, and the test that says so.
//!
//! * Sign (graph discs, rings, edges, gradient bars): orange [`POS`] for positive, blue [`NEG`]
//!   for negative. Blue/orange is the pair that survives protanopia, deuteranopia and
//!   tritanopia (ΔE ≥ 100 in every simulation); the sign is also written in every number.
//! * Per-node plot lines and the matching swatches in the graph: the Okabe–Ito categorical
//!   palette (Okabe & Ito 2008, "Color Universal Design") without black (the overall line is
//!   drawn in the text colour) and without yellow (invisible on white). Every pair keeps a CIE
//!   ΔE*ab ≥ 15 under full-severity protan/deutan/tritan simulation (Machado, Oliveira & Fernandes
//!   2009); the previous mixed palette fell to 4.3 under deuteranopia. Lines are also named in
//!   the plot keys and in the table view, so colour is never the only cue.
//!
//! Pure Rust: unit-tested natively (see `lib.rs`).

pub const POS: &str = "#e66c00";
pub const NEG: &str = "#1f6fd1";

/// Okabe–Ito: blue, orange, bluish green, reddish purple, sky blue, vermillion.
pub const PALETTE: [&str; 6] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
];

/// Plot backgrounds (light and dark theme), as drawn by `plots`.
pub const PLOT_BG_LIGHT: &str = "#ffffff";
pub const PLOT_BG_DARK: &str = "#1b1e24";

pub fn node_colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
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
        for c in ALL {
            let (d, a, b) = min_delta_e(&PALETTE, c);
            assert!(d >= 15.0, "{c:?}: {a} and {b} are only ΔE {d:.1} apart");
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
        // both readable as graphics on both themes (WCAG 1.4.11: 3:1)
        for bg in [PLOT_BG_LIGHT, PLOT_BG_DARK] {
            for fg in [POS, NEG] {
                assert!(
                    contrast(fg, bg) >= 3.0,
                    "{fg} on {bg}: {:.2}",
                    contrast(fg, bg)
                );
            }
        }
    }

    #[test]
    fn series_lines_visible_on_both_plot_backgrounds() {
        // Okabe–Ito orange and sky blue reach 2.2–2.3:1 on white (documented; the lines are
        // 2 px wide and named in the key); nothing may fall below 2:1.
        for bg in [PLOT_BG_LIGHT, PLOT_BG_DARK] {
            for fg in PALETTE {
                assert!(
                    contrast(fg, bg) >= 2.0,
                    "{fg} on {bg}: {:.2}",
                    contrast(fg, bg)
                );
            }
        }
    }
}
