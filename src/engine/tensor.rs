//! A tiny float64 tensor: a scalar, a vector or a matrix (row-major), with numpy-style
//! broadcasting for the elementwise ops.
//!
//! The relaxation hot path does not use [`Tensor`] itself (it works on flat buffers); it uses
//! [`Shape`] and the index helpers [`Shape::broadcast`] and [`Shape::broadcast_index`].
use super::format::JsonValue;

/// The shape of a node value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// A single number.
    Scalar,
    /// A list of `n` numbers.
    Vector(usize),
    /// `rows × cols`, stored row-major.
    Matrix(usize, usize),
}

impl Shape {
    /// Number of elements.
    pub fn len(self) -> usize {
        match self {
            Shape::Scalar => 1,
            Shape::Vector(n) => n,
            Shape::Matrix(r, c) => r * c,
        }
    }

    /// True when the shape holds no element (an empty list).
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Number of axes: 0, 1 or 2.
    pub fn rank(self) -> usize {
        match self {
            Shape::Scalar => 0,
            Shape::Vector(_) => 1,
            Shape::Matrix(_, _) => 2,
        }
    }

    /// The shape as `(rows, cols)` with numpy's leading 1s: a scalar is `(1,1)`, a vector `(1,n)`.
    pub fn dims2(self) -> (usize, usize) {
        match self {
            Shape::Scalar => (1, 1),
            Shape::Vector(n) => (1, n),
            Shape::Matrix(r, c) => (r, c),
        }
    }

    /// The numpy broadcast of two shapes, or `None` when they are incompatible.
    pub fn broadcast(a: Shape, b: Shape) -> Option<Shape> {
        let (ar, ac) = a.dims2();
        let (br, bc) = b.dims2();
        let dim = |x: usize, y: usize| {
            if x == y || y == 1 {
                Some(x)
            } else if x == 1 {
                Some(y)
            } else {
                None
            }
        };
        let r = dim(ar, br)?;
        let c = dim(ac, bc)?;
        Some(match a.rank().max(b.rank()) {
            0 => Shape::Scalar,
            1 => Shape::Vector(c),
            _ => Shape::Matrix(r, c),
        })
    }

    /// Index into an argument of shape `self` for element `(i, j)` of a broadcast result.
    #[inline(always)]
    pub fn broadcast_index(self, i: usize, j: usize) -> usize {
        let (r, c) = self.dims2();
        let i = if r == 1 { 0 } else { i };
        let j = if c == 1 { 0 } else { j };
        i * c + j
    }

    /// A short human description, e.g. `scalar`, `vector of 3`, `2×3 matrix`.
    pub fn describe(self) -> String {
        match self {
            Shape::Scalar => "a scalar".to_string(),
            Shape::Vector(n) => format!("a vector of {n}"),
            Shape::Matrix(r, c) => format!("a {r}×{c} matrix"),
        }
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// A float64 value with a shape. `data.len() == shape.len()` always holds for tensors built
/// through the constructors.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Shape,
    pub data: Vec<f64>,
}

impl Tensor {
    /// A scalar.
    pub fn scalar(x: f64) -> Tensor {
        Tensor {
            shape: Shape::Scalar,
            data: vec![x],
        }
    }

    /// A vector.
    pub fn vector(v: Vec<f64>) -> Tensor {
        Tensor {
            shape: Shape::Vector(v.len()),
            data: v,
        }
    }

    /// A matrix from row-major data; `None` when `data.len() != rows*cols`.
    pub fn matrix(rows: usize, cols: usize, data: Vec<f64>) -> Option<Tensor> {
        if rows.checked_mul(cols)? != data.len() {
            return None;
        }
        Some(Tensor {
            shape: Shape::Matrix(rows, cols),
            data,
        })
    }

    /// A tensor of zeros.
    pub fn zeros(shape: Shape) -> Tensor {
        Tensor {
            shape,
            data: vec![0.0; shape.len()],
        }
    }

    /// A tensor from a shape and data; `None` when the lengths differ.
    pub fn from_parts(shape: Shape, data: Vec<f64>) -> Option<Tensor> {
        (shape.len() == data.len()).then_some(Tensor { shape, data })
    }

    /// Read a file value. Fails (with a short reason) on ragged matrices.
    pub fn from_json(v: &JsonValue) -> Result<Tensor, String> {
        match v {
            JsonValue::Scalar(x) => Ok(Tensor::scalar(*x)),
            JsonValue::Vector(xs) => Ok(Tensor::vector(xs.clone())),
            JsonValue::Matrix(rows) => {
                let cols = rows.first().map_or(0, |r| r.len());
                if let Some((k, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != cols) {
                    return Err(format!(
                        "row {} has {} entries but row 1 has {cols}",
                        k + 1,
                        r.len()
                    ));
                }
                let data: Vec<f64> = rows.iter().flatten().copied().collect();
                Ok(Tensor {
                    shape: Shape::Matrix(rows.len(), cols),
                    data,
                })
            }
        }
    }

    /// Write as a file value (number, list, or list of rows).
    pub fn to_json(&self) -> JsonValue {
        match self.shape {
            Shape::Scalar => JsonValue::Scalar(self.data.first().copied().unwrap_or(0.0)),
            Shape::Vector(_) => JsonValue::Vector(self.data.clone()),
            Shape::Matrix(_, c) => {
                if c == 0 {
                    JsonValue::Matrix(Vec::new())
                } else {
                    JsonValue::Matrix(self.data.chunks(c).map(|r| r.to_vec()).collect())
                }
            }
        }
    }

    /// Elementwise binary op with numpy broadcasting; `None` when shapes do not broadcast.
    pub fn zip_with(&self, other: &Tensor, f: impl Fn(f64, f64) -> f64) -> Option<Tensor> {
        let shape = Shape::broadcast(self.shape, other.shape)?;
        let (r, c) = shape.dims2();
        let mut data = Vec::with_capacity(shape.len());
        for i in 0..r {
            for j in 0..c {
                let a = self.data.get(self.shape.broadcast_index(i, j))?;
                let b = other.data.get(other.shape.broadcast_index(i, j))?;
                data.push(f(*a, *b));
            }
        }
        Some(Tensor { shape, data })
    }

    /// `self + other`, broadcasting.
    pub fn add(&self, other: &Tensor) -> Option<Tensor> {
        self.zip_with(other, |a, b| a + b)
    }

    /// `self - other`, broadcasting.
    pub fn sub(&self, other: &Tensor) -> Option<Tensor> {
        self.zip_with(other, |a, b| a - b)
    }

    /// `self * other` elementwise, broadcasting.
    pub fn mul(&self, other: &Tensor) -> Option<Tensor> {
        self.zip_with(other, |a, b| a * b)
    }

    /// Sum a gradient `g` of a broadcast result back to `shape` (the VJP of broadcasting).
    pub fn sum_to(g: &Tensor, shape: Shape) -> Tensor {
        let mut out = Tensor::zeros(shape);
        let (r, c) = g.shape.dims2();
        for i in 0..r {
            for j in 0..c {
                if let (Some(o), Some(x)) = (
                    out.data.get_mut(shape.broadcast_index(i, j)),
                    g.data.get(i * c + j),
                ) {
                    *o += *x;
                }
            }
        }
        out
    }

    /// True when every entry is finite.
    pub fn is_finite(&self) -> bool {
        self.data.iter().all(|x| x.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_shapes() {
        use Shape::*;
        assert_eq!(Shape::broadcast(Scalar, Vector(3)), Some(Vector(3)));
        assert_eq!(
            Shape::broadcast(Vector(3), Matrix(2, 3)),
            Some(Matrix(2, 3))
        );
        assert_eq!(
            Shape::broadcast(Matrix(2, 1), Vector(3)),
            Some(Matrix(2, 3))
        );
        assert_eq!(Shape::broadcast(Vector(2), Vector(3)), None);
        assert_eq!(Shape::broadcast(Vector(1), Vector(3)), Some(Vector(3)));
        assert_eq!(Shape::broadcast(Scalar, Scalar), Some(Scalar));
    }

    #[test]
    fn add_and_sum_back() {
        let a = Tensor::matrix(2, 2, vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let b = Tensor::vector(vec![10.0, 20.0]);
        let c = a.add(&b).unwrap();
        assert_eq!(c.data, vec![11.0, 22.0, 13.0, 24.0]);
        let g = Tensor::sum_to(&c, Shape::Vector(2));
        assert_eq!(g.data, vec![24.0, 46.0]);
        let s = Tensor::sum_to(&c, Shape::Scalar);
        assert_eq!(s.data, vec![70.0]);
        assert!(Tensor::vector(vec![1.0, 2.0, 3.0]).mul(&b).is_none());
    }

    #[test]
    fn json_round_trip() {
        let m = Tensor::matrix(2, 3, vec![1., 2., 3., 4., 5., 6.]).unwrap();
        assert_eq!(Tensor::from_json(&m.to_json()).unwrap(), m);
        let ragged = JsonValue::Matrix(vec![vec![1.0], vec![1.0, 2.0]]);
        assert!(Tensor::from_json(&ragged).unwrap_err().contains("row 2"));
        assert_eq!(
            Tensor::from_json(&JsonValue::Scalar(2.5)).unwrap(),
            Tensor::scalar(2.5)
        );
    }
}
