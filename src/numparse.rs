//! Decimal text → `f64`, correctly rounded, without core's parser (issue 4, download size).
//!
//! `str::parse::<f64>` links core's Eisel–Lemire tables (≈ 10 KB of 128-bit powers of five,
//! which do not compress) and its big-decimal fallback: ≈ 16 KB of the wasm. Every number the
//! app reads (JSON, expressions, links, input fields) goes through [`parse_f64`] instead: the
//! same grammar as core (`[+-]`, digits with an optional `.`, an optional exponent, `inf`,
//! `infinity`, `nan` in any case) and the same, correctly rounded (ties to even) value, computed
//! exactly with a small big integer. Short inputs (≤ 15 digits, |exponent| ≤ 22) take Clinger's
//! exact fast path. Tested against core (`tests` below, and `tests/numparse.rs` natively).

/// `s.parse::<f64>()` of core, as an `Option`.
pub fn parse_f64(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let (neg, b) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let sign = |x: f64| if neg { -x } else { x };
    if b.eq_ignore_ascii_case(b"inf") || b.eq_ignore_ascii_case(b"infinity") {
        return Some(sign(f64::INFINITY));
    }
    if b.eq_ignore_ascii_case(b"nan") {
        return Some(f64::NAN);
    }
    // digits, with the decimal point and the exponent
    let mut digits: Vec<u8> = Vec::new();
    let mut i = 0;
    let mut point: Option<usize> = None;
    let mut any = false;
    while i < b.len() {
        match b[i] {
            c @ b'0'..=b'9' => {
                any = true;
                if !(digits.is_empty() && c == b'0') {
                    digits.push(c - b'0');
                } else if point.is_some() {
                    // a leading zero after the point still shifts the value
                    digits.push(0);
                }
            }
            b'.' if point.is_none() => point = Some(digits.len()),
            _ => break,
        }
        i += 1;
    }
    if !any {
        return None;
    }
    let mut e10: i64 = 0;
    if i < b.len() {
        if b[i] != b'e' && b[i] != b'E' {
            return None;
        }
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        if i >= b.len() {
            return None;
        }
        while i < b.len() {
            let c = b[i];
            if !c.is_ascii_digit() {
                return None;
            }
            e10 = (e10 * 10 + (c - b'0') as i64).min(1 << 40);
            i += 1;
        }
        if eneg {
            e10 = -e10;
        }
    }
    // value = 0.digits… shifted: int(digits) × 10^(e10 − fraction digits)
    let frac = point.map_or(0, |p| digits.len() - p) as i64;
    let lead = digits.iter().take_while(|&&d| d == 0).count();
    digits.drain(..lead);
    while digits.last() == Some(&0) {
        digits.pop();
        e10 += 1;
    }
    let e10 = e10 - frac;
    if digits.is_empty() {
        return Some(sign(0.0));
    }
    // magnitude: 10^(n−1+e10) ≤ value < 10^(n+e10)
    let n = digits.len() as i64;
    if n + e10 > 310 {
        return Some(sign(f64::INFINITY));
    }
    if n + e10 < -343 {
        return Some(sign(0.0));
    }
    // Clinger's fast path: both factors exact, one rounding
    if n <= 15 && e10.abs() <= 22 {
        let m = digits.iter().fold(0u64, |a, &d| a * 10 + d as u64) as f64;
        let p = POW10[e10.unsigned_abs() as usize];
        return Some(sign(if e10 >= 0 { m * p } else { m / p }));
    }
    // More than 800 digits: the rest only decides ties, so one nonzero digit stands for it.
    let mut e10 = e10;
    if digits.len() > 800 {
        let cut = digits.len() - 801;
        digits.truncate(801);
        digits[800] = 1;
        e10 += cut as i64;
    }
    Some(sign(exact(&digits, e10 as i32)))
}

/// 10^0 … 10^22, all exact in an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

type Big = Vec<u32>;

fn mul_small(a: &mut Big, m: u32, add: u32) {
    let mut carry = add as u64;
    for x in a.iter_mut() {
        let v = *x as u64 * m as u64 + carry;
        *x = v as u32;
        carry = v >> 32;
    }
    if carry > 0 {
        a.push(carry as u32);
    }
}

fn bits(a: &Big) -> usize {
    match a.iter().rposition(|&x| x != 0) {
        Some(k) => k * 32 + 32 - a[k].leading_zeros() as usize,
        None => 0,
    }
}

fn bit(a: &Big, i: usize) -> bool {
    a.get(i / 32).is_some_and(|x| x >> (i % 32) & 1 == 1)
}

fn shl(a: &Big, s: usize) -> Big {
    let (w, r) = (s / 32, s % 32);
    let mut out = vec![0u32; w];
    let mut carry = 0u32;
    for &x in a {
        out.push(if r == 0 { x } else { (x << r) | carry });
        carry = if r == 0 { 0 } else { x >> (32 - r) };
    }
    out.push(carry);
    out
}

fn ge(a: &Big, b: &Big) -> bool {
    let n = a.len().max(b.len());
    for k in (0..n).rev() {
        let (x, y) = (
            a.get(k).copied().unwrap_or(0),
            b.get(k).copied().unwrap_or(0),
        );
        if x != y {
            return x > y;
        }
    }
    true
}

fn sub(a: &mut Big, b: &Big) {
    let mut borrow = 0i64;
    for (k, x) in a.iter_mut().enumerate() {
        let v = *x as i64 - b.get(k).copied().unwrap_or(0) as i64 - borrow;
        *x = v.rem_euclid(1 << 32) as u32;
        borrow = (v < 0) as i64;
    }
}

/// int(digits) × 10^e10, correctly rounded (ties to even); the result is finite or ±inf.
fn exact(digits: &[u8], e10: i32) -> f64 {
    let mut d: Big = vec![0];
    for &x in digits {
        mul_small(&mut d, 10, x as u32);
    }
    // q · 2^-s (+ sticky) = the value, q with at least 55 bits
    let (q, s, mut sticky): (Big, i64, bool) = if e10 >= 0 {
        for _ in 0..e10 {
            mul_small(&mut d, 10, 0);
        }
        (d, 0, false)
    } else {
        let mut den: Big = vec![1];
        for _ in 0..-e10 {
            mul_small(&mut den, 10, 0);
        }
        let s = (55 + bits(&den) as i64 - bits(&d) as i64).max(0);
        let mut num = shl(&d, s as usize);
        let top = bits(&num) as i64 - bits(&den) as i64;
        let mut q: Big = vec![0; (top.max(0) as usize) / 32 + 1];
        let mut k = top;
        while k >= 0 {
            let t = shl(&den, k as usize);
            if ge(&num, &t) {
                sub(&mut num, &t);
                q[k as usize / 32] |= 1 << (k % 32);
            }
            k -= 1;
        }
        let rest = num.iter().any(|&x| x != 0);
        (q, s, rest)
    };
    let lq = bits(&q) as i64;
    // the leading bit is 2^(lq − 1 − s); keep 53 bits, or down to 2^-1074 when subnormal
    let lead = lq - 1 - s;
    let shift = if lead >= -1022 { lq - 53 } else { s - 1074 };
    if shift > lq {
        return 0.0;
    }
    let mut m: u64 = 0;
    for i in (shift.max(0)..lq).rev() {
        m = m << 1 | bit(&q, i as usize) as u64;
    }
    if shift > 0 {
        let half = bit(&q, shift as usize - 1);
        sticky |= (0..shift as usize - 1).any(|i| bit(&q, i));
        if half && (sticky || m & 1 == 1) {
            m += 1;
        }
    } else {
        m <<= -shift;
    }
    // value = m · 2^(shift − s)
    let mut e2 = shift - s;
    if m >= 1 << 53 {
        m >>= 1;
        e2 += 1;
    }
    if m < 1 << 52 {
        // subnormal (e2 = −1074) or zero
        return f64::from_bits(m);
    }
    let biased = e2 + 52 + 1023;
    if biased >= 2047 {
        return f64::INFINITY;
    }
    f64::from_bits((biased as u64) << 52 | (m & ((1 << 52) - 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(s: &str) {
        let core = s.parse::<f64>().ok();
        let mine = parse_f64(s);
        match (core, mine) {
            (Some(a), Some(b)) if a.is_nan() && b.is_nan() => {}
            (Some(a), Some(b)) => {
                assert_eq!(a.to_bits(), b.to_bits(), "{s:?}: core {a:e}, mine {b:e}")
            }
            (a, b) => assert_eq!(a, b, "{s:?}"),
        }
    }

    #[test]
    fn grammar_and_edge_cases_like_core() {
        for s in [
            "",
            "+",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.e3",
            ".5",
            "-.5e-3",
            "5.",
            "+1",
            "--1",
            "1..2",
            "1e5.0",
            " 1",
            "1 ",
            "0x10",
            "inf",
            "-inf",
            "+Infinity",
            "INF",
            "nan",
            "NaN",
            "-nan",
            "infin",
            "0",
            "-0",
            "0.0",
            "-0.0e10",
            "00012.5000",
            "0.000",
            "1e400",
            "-1e400",
            "1e-400",
            "4.9e-324",
            "2.4703282292062328e-324",
            "2.4703282292062327e-324",
            "2.2250738585072011e-308",
            "2.2250738585072012e-308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "9007199254740993",
            "9007199254740992.5",
            "123456789012345678901234567890",
            "0.1",
            "0.2",
            "0.3",
            "3.141592653589793238462643383279",
            "1e23",
            "8.98846567431158e307",
            "1e-7",
            "0.30000000000000004",
            "5e-324",
            "1e999999999999999999",
            "1e-999999999999999999",
            "123.456e-2",
            "7.0E-10",
            "1_000",
        ] {
            same(s);
        }
        let long = format!("0.{}1", "0".repeat(1000));
        same(&long);
        same(&format!("1{}", "0".repeat(400)));
        same(&format!("2.4703282292062327{}1e-324", "0".repeat(900)));
    }

    #[test]
    fn round_trips_and_midpoints_like_core() {
        let mut rng = crate::engine::datasets::Rng::new(0x0123_4567_89AB_CDEF);
        let mut next = move || rng.next_u64();
        for _ in 0..3000 {
            let x = f64::from_bits(next() & !(1 << 63));
            if !x.is_finite() {
                continue;
            }
            same(&format!("{x}"));
            same(&format!("{x:e}"));
            same(&format!("{x:.3e}"));
            same(&format!("{:e}", x * 1.0000001));
            // the exact midpoint to the next float (a tie) and just beside it
            let y = f64::from_bits(x.to_bits() + 1);
            if y.is_finite() {
                let (a, b) = (format!("{x:.1100e}"), format!("{y:.1100e}"));
                if let Some(m) = midpoint(&a, &b) {
                    same(&m);
                    same(&format!(
                        "{}1{}",
                        &m[..m.find('e').unwrap()],
                        &m[m.find('e').unwrap()..]
                    ));
                }
            }
        }
    }

    /// The decimal midpoint of two exact `{:.N e}` texts with the same exponent.
    fn midpoint(a: &str, b: &str) -> Option<String> {
        let (ma, ea) = a.split_once('e')?;
        let (mb, eb) = b.split_once('e')?;
        if ea != eb {
            return None;
        }
        let da: Vec<u32> = ma
            .bytes()
            .filter(|c| c.is_ascii_digit())
            .map(|c| (c - b'0') as u32)
            .collect();
        let db: Vec<u32> = mb
            .bytes()
            .filter(|c| c.is_ascii_digit())
            .map(|c| (c - b'0') as u32)
            .collect();
        // (a + b) / 2, digit by digit, with one more digit for the half
        let mut sum = vec![0u32; da.len() + 1];
        let mut carry = 0;
        for k in (0..da.len()).rev() {
            let v = da[k] + db[k] + carry;
            sum[k + 1] = v % 10;
            carry = v / 10;
        }
        sum[0] = carry;
        let mut out = Vec::new();
        let mut rem = 0;
        for &d in &sum {
            let v = rem * 10 + d;
            out.push(v / 2);
            rem = v % 2;
        }
        out.push(rem * 5);
        let text: String = out.iter().map(|d| char::from(b'0' + *d as u8)).collect();
        let e: i64 = ea.parse().ok()?;
        Some(format!("0.{text}e{}", e + 2))
    }
}
