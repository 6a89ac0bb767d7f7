//! Small deterministic datasets for the learning feature, and the seeded random generator the
//! learning code can reuse.
//!
//! Every dataset is a pure function of its arguments (and seed): the same call gives the same
//! numbers on every platform, so a shared link reproduces a training run exactly.
//!
//! | dataset | inputs | targets |
//! |---|---|---|
//! | [`xor`] | the 4 corners of the unit square, `[a, b]` with `a, b ∈ {0, 1}` | `[a XOR b]`, 0 or 1 (suits a sigmoid output) |
//! | [`sine`] | `[x]`, `x` evenly spaced on `[−π, π]` | `[sin x + noise]`, noise normal with σ = 0.05 |
//! | [`two_moons`] | `[x1, x2]`, two interleaved half circles | `[0]` (upper moon) or `[1]` (lower moon), alternating |
//! | [`rings`] | `[x1, x2]`, two concentric rings (radius 0.5 and 1) | `[0]` (inner) or `[1]` (outer), alternating |
use std::f64::consts::PI;

/// A small seeded random generator: SplitMix64. Fast, deterministic across platforms, and good
/// enough for data and weight initialisation (not for cryptography).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`, with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    /// Standard normal (mean 0, variance 1), by the Box–Muller transform.
    pub fn normal(&mut self) -> f64 {
        // 1 − u is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
    }

    /// A uniform index in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_f64() * n as f64) as usize % n
    }

    /// Shuffles `v` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// A supervised dataset: `inputs[k]` maps to `targets[k]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub name: String,
    pub inputs: Vec<Vec<f64>>,
    pub targets: Vec<Vec<f64>>,
}

impl Dataset {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }
}

/// XOR on the four corners of the unit square; targets are 0 or 1.
pub fn xor() -> Dataset {
    let pts = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    Dataset {
        name: "XOR".into(),
        inputs: pts.iter().map(|p| p.to_vec()).collect(),
        targets: pts
            .iter()
            .map(|p| vec![if p[0] != p[1] { 1.0 } else { 0.0 }])
            .collect(),
    }
}

/// Standard deviation of the noise added to [`sine`] targets.
pub const SINE_NOISE: f64 = 0.05;

/// 1-D regression: `n` points `x` evenly spaced on `[−π, π]` (both ends included), targets
/// `sin x` plus normal noise of standard deviation [`SINE_NOISE`].
pub fn sine(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut inputs = Vec::with_capacity(n);
    let mut targets = Vec::with_capacity(n);
    for k in 0..n {
        let x = if n == 1 {
            0.0
        } else {
            -PI + 2.0 * PI * k as f64 / (n - 1) as f64
        };
        inputs.push(vec![x]);
        targets.push(vec![x.sin() + SINE_NOISE * rng.normal()]);
    }
    Dataset {
        name: "sine".into(),
        inputs,
        targets,
    }
}

/// 2-D classification: two interleaving half circles. Example `k` belongs to moon `k % 2`
/// (target `[0]`: the upper moon, centred at (0, 0); target `[1]`: the lower moon, centred at
/// (1, 0.5)), so the classes are balanced. Each point gets normal noise of standard deviation
/// `noise` in both coordinates.
pub fn two_moons(n: usize, noise: f64, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut inputs = Vec::with_capacity(n);
    let mut targets = Vec::with_capacity(n);
    for k in 0..n {
        let class = k % 2;
        let t = PI * rng.next_f64();
        let (x, y) = if class == 0 {
            (t.cos(), t.sin())
        } else {
            (1.0 - t.cos(), 0.5 - t.sin())
        };
        inputs.push(vec![x + noise * rng.normal(), y + noise * rng.normal()]);
        targets.push(vec![class as f64]);
    }
    Dataset {
        name: "two moons".into(),
        inputs,
        targets,
    }
}

/// 2-D classification: two concentric rings, radius 0.5 (target `[0]`) and 1 (target `[1]`),
/// alternating so the classes are balanced; the radius gets normal noise of standard deviation
/// `noise`.
pub fn rings(n: usize, noise: f64, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut inputs = Vec::with_capacity(n);
    let mut targets = Vec::with_capacity(n);
    for k in 0..n {
        let class = k % 2;
        let a = 2.0 * PI * rng.next_f64();
        let r = if class == 0 { 0.5 } else { 1.0 } + noise * rng.normal();
        inputs.push(vec![r * a.cos(), r * a.sin()]);
        targets.push(vec![class as f64]);
    }
    Dataset {
        name: "rings".into(),
        inputs,
        targets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(d: &Dataset, n: usize, din: usize, dout: usize) {
        assert_eq!(d.len(), n);
        assert_eq!(d.targets.len(), n);
        assert!(d.inputs.iter().all(|x| x.len() == din));
        assert!(d.targets.iter().all(|y| y.len() == dout));
        assert!(d
            .inputs
            .iter()
            .chain(&d.targets)
            .flatten()
            .all(|v| v.is_finite()));
    }

    #[test]
    fn rng_is_deterministic_and_uniform() {
        let a: Vec<u64> = {
            let mut r = Rng::new(42);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let mut r = Rng::new(42);
        assert_eq!(a, (0..5).map(|_| r.next_u64()).collect::<Vec<_>>());
        // SplitMix64's published first output for seed 0.
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
        let mut r = Rng::new(7);
        let xs: Vec<f64> = (0..20_000).map(|_| r.next_f64()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        let zs: Vec<f64> = (0..20_000).map(|_| r.normal()).collect();
        let m = zs.iter().sum::<f64>() / zs.len() as f64;
        let v = zs.iter().map(|z| (z - m).powi(2)).sum::<f64>() / zs.len() as f64;
        assert!(m.abs() < 0.03 && (v - 1.0).abs() < 0.05, "{m} {v}");
        let mut p: Vec<usize> = (0..10).collect();
        r.shuffle(&mut p);
        let mut s = p.clone();
        s.sort();
        assert_eq!(s, (0..10).collect::<Vec<_>>());
        assert_ne!(p, s);
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn xor_table() {
        let d = xor();
        shapes(&d, 4, 2, 1);
        let t: Vec<f64> = d.targets.iter().map(|t| t[0]).collect();
        assert_eq!(t, [0.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn sine_regression() {
        let d = sine(50, 3);
        shapes(&d, 50, 1, 1);
        assert_eq!(d, sine(50, 3));
        assert_ne!(d, sine(50, 4));
        assert!((d.inputs[0][0] + PI).abs() < 1e-12 && (d.inputs[49][0] - PI).abs() < 1e-12);
        for (x, y) in d.inputs.iter().zip(&d.targets) {
            assert!((y[0] - x[0].sin()).abs() < 5.0 * SINE_NOISE);
        }
        assert!(d
            .inputs
            .iter()
            .zip(&d.targets)
            .any(|(x, y)| y[0] != x[0].sin()));
        shapes(&sine(1, 0), 1, 1, 1);
        shapes(&sine(0, 0), 0, 1, 1);
    }

    #[test]
    fn classification_sets() {
        for (d, again, other) in [
            (
                two_moons(101, 0.1, 1),
                two_moons(101, 0.1, 1),
                two_moons(101, 0.1, 2),
            ),
            (
                rings(101, 0.05, 1),
                rings(101, 0.05, 1),
                rings(101, 0.05, 2),
            ),
        ] {
            shapes(&d, 101, 2, 1);
            assert_eq!(d, again, "{}", d.name);
            assert_ne!(d, other, "{}", d.name);
            let ones = d.targets.iter().filter(|t| t[0] == 1.0).count();
            let zeros = d.targets.iter().filter(|t| t[0] == 0.0).count();
            assert_eq!((zeros, ones), (51, 50), "{}", d.name);
        }
        // Without noise the moons lie on their circles.
        let d = two_moons(40, 0.0, 5);
        for (x, t) in d.inputs.iter().zip(&d.targets) {
            let (cx, cy) = if t[0] == 0.0 { (0.0, 0.0) } else { (1.0, 0.5) };
            let r = ((x[0] - cx).powi(2) + (x[1] - cy).powi(2)).sqrt();
            assert!((r - 1.0).abs() < 1e-12);
            assert!(if t[0] == 0.0 {
                x[1] >= 0.0
            } else {
                x[1] <= 0.5
            });
        }
        let d = rings(40, 0.0, 5);
        for (x, t) in d.inputs.iter().zip(&d.targets) {
            let r = (x[0].powi(2) + x[1].powi(2)).sqrt();
            assert!((r - if t[0] == 0.0 { 0.5 } else { 1.0 }).abs() < 1e-12);
        }
    }
}
