//! Layered (Sugiyama-style) layout for computation graphs. Pure Rust, no web or engine types,
//! so it is unit-tested natively (see `lib.rs`).
//!
//! * x: columns. A computed node at level `h` (longest path to the output) sits in column
//!   `D − h + 1`, so the output is rightmost and every level of the error front is one column;
//!   inputs sit in column 0, parameters just left of their first child.
//! * Edges that span several columns get a dummy point per column crossed; inside a column an
//!   edge runs horizontally at its dummy's height, which is kept clear of the boxes there.
//! * Order within a column: barycenter sweeps (keep the order with the fewest crossings).
//! * y: isotonic (pool-adjacent-violators) placement towards the neighbours' mean, with a
//!   minimum gap, so boxes in one column never overlap.

/// One node to place: its parents (indices into the same list, topological order) and its size.
#[derive(Clone, Debug)]
pub struct LNode {
    pub parents: Vec<usize>,
    pub w: f64,
    pub h: f64,
    /// An input leaf (always column 0).
    pub input: bool,
    /// A leaf (input or parameter).
    pub leaf: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    pub fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
    pub fn overlaps(&self, o: &Rect, pad: f64) -> bool {
        self.x < o.x + o.w + pad
            && o.x < self.x + self.w + pad
            && self.y < o.y + o.h + pad
            && o.y < self.y + self.h + pad
    }
}

/// An edge parent → child with its route (polyline, drawn as a smooth curve).
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeRoute {
    pub from: usize,
    pub to: usize,
    pub points: Vec<(f64, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub boxes: Vec<Rect>,
    pub columns: Vec<usize>,
    pub edges: Vec<EdgeRoute>,
    /// Edge crossings between adjacent columns in the chosen order.
    pub crossings: usize,
}

pub const MARGIN: f64 = 16.0;
pub const COL_GAP: f64 = 40.0;
pub const ROW_GAP: f64 = 18.0;
const DUMMY_H: f64 = 6.0;

/// Levels: longest path (in edges) to `output`; nodes that do not reach it get 0.
pub fn levels(nodes: &[LNode], output: usize) -> Vec<usize> {
    let n = nodes.len();
    let mut lvl: Vec<Option<usize>> = vec![None; n];
    if output < n {
        lvl[output] = Some(0);
    }
    for i in (0..n).rev() {
        if let Some(l) = lvl[i] {
            for &p in &nodes[i].parents {
                if p < n {
                    lvl[p] = Some(lvl[p].map_or(l + 1, |q| q.max(l + 1)));
                }
            }
        }
    }
    lvl.into_iter().map(|l| l.unwrap_or(0)).collect()
}

pub fn layout(nodes: &[LNode], output: usize) -> Layout {
    let n = nodes.len();
    if n == 0 {
        return Layout {
            width: 2.0 * MARGIN,
            height: 2.0 * MARGIN,
            boxes: vec![],
            columns: vec![],
            edges: vec![],
            crossings: 0,
        };
    }
    // Unique edges (a node feeding the same child twice is drawn once).
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (c, nd) in nodes.iter().enumerate() {
        for &p in &nd.parents {
            if p < n && p != c && !edges.contains(&(p, c)) {
                edges.push((p, c));
            }
        }
    }
    let mut children: Vec<Vec<usize>> = vec![vec![]; n];
    for &(p, c) in &edges {
        children[p].push(c);
    }

    // ---- columns
    let lvl = levels(nodes, output);
    let d = (0..n)
        .filter(|&i| !nodes[i].leaf)
        .map(|i| lvl[i])
        .max()
        .unwrap_or(0);
    let mut col = vec![0usize; n];
    for i in 0..n {
        if !nodes[i].leaf {
            col[i] = d - lvl[i].min(d) + 1;
        }
    }
    for i in 0..n {
        if nodes[i].leaf && !nodes[i].input {
            col[i] = children[i]
                .iter()
                .map(|&c| col[c])
                .min()
                .unwrap_or(1)
                .saturating_sub(1);
        }
    }
    // Safety: every edge must go strictly right (holds by construction; enforce anyway).
    for i in 0..n {
        for &p in &nodes[i].parents {
            if p < n && col[p] >= col[i] {
                col[i] = col[p] + 1;
            }
        }
    }
    let ncols = col.iter().max().copied().unwrap_or(0) + 1;

    // ---- dummies: virtual nodes n.. ; chains[e] = the virtual nodes of edge e
    let mut vcol = col.clone();
    let mut vh: Vec<f64> = nodes.iter().map(|x| x.h).collect();
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(edges.len());
    let mut seg: Vec<(usize, usize)> = Vec::new(); // adjacent-column segments between virtual nodes
    for &(p, c) in &edges {
        let mut chain = vec![];
        let mut prev = p;
        for k in col[p] + 1..col[c] {
            let id = vcol.len();
            vcol.push(k);
            vh.push(DUMMY_H);
            chain.push(id);
            seg.push((prev, id));
            prev = id;
        }
        seg.push((prev, c));
        chains.push(chain);
    }
    let nv = vcol.len();
    let mut preds: Vec<Vec<usize>> = vec![vec![]; nv];
    let mut succs: Vec<Vec<usize>> = vec![vec![]; nv];
    for &(a, b) in &seg {
        preds[b].push(a);
        succs[a].push(b);
    }

    // ---- order within columns
    let mut layers: Vec<Vec<usize>> = vec![vec![]; ncols];
    // inputs first, then the rest, in topological/creation order
    for v in (0..nv).filter(|&v| v < n && nodes[v].input) {
        layers[vcol[v]].push(v);
    }
    for v in (0..nv).filter(|&v| !(v < n && nodes[v].input)) {
        layers[vcol[v]].push(v);
    }
    let mut pos = vec![0usize; nv];
    let set_pos = |layers: &Vec<Vec<usize>>, pos: &mut Vec<usize>| {
        for l in layers {
            for (k, &v) in l.iter().enumerate() {
                pos[v] = k;
            }
        }
    };
    set_pos(&layers, &mut pos);
    let mut best = layers.clone();
    let mut best_x = count_crossings(&layers, &succs, &pos);
    for it in 0..16 {
        let down = it % 2 == 0;
        let order: Vec<usize> = if down {
            (1..ncols).collect()
        } else {
            (0..ncols.saturating_sub(1)).rev().collect()
        };
        for c in order {
            let mut keyed: Vec<(f64, usize, usize)> = layers[c]
                .iter()
                .enumerate()
                .map(|(k, &v)| {
                    let nb = if down { &preds[v] } else { &succs[v] };
                    let b = if nb.is_empty() {
                        k as f64
                    } else {
                        nb.iter().map(|&u| pos[u] as f64).sum::<f64>() / nb.len() as f64
                    };
                    (b, k, v)
                })
                .collect();
            insertion_sort(&mut keyed, |a, b| {
                a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).is_lt()
            });
            layers[c] = keyed.into_iter().map(|t| t.2).collect();
            for (k, &v) in layers[c].iter().enumerate() {
                pos[v] = k;
            }
        }
        let x = count_crossings(&layers, &succs, &pos);
        if x < best_x {
            best_x = x;
            best = layers.clone();
        }
    }
    let layers = best;
    set_pos(&layers, &mut pos);

    // ---- y placement
    let mut cy = vec![0.0f64; nv];
    for l in &layers {
        let mut y = 0.0;
        for &v in l {
            cy[v] = y + vh[v] / 2.0;
            y += vh[v] + ROW_GAP;
        }
        // centre each column around 0
        let total = y - ROW_GAP;
        for &v in l {
            cy[v] -= total / 2.0;
        }
    }
    for it in 0..24 {
        let cols: Vec<usize> = if it % 2 == 0 {
            (0..ncols).collect()
        } else {
            (0..ncols).rev().collect()
        };
        for c in cols {
            let l = &layers[c];
            if l.is_empty() {
                continue;
            }
            let desired: Vec<f64> = l
                .iter()
                .map(|&v| {
                    let nb: Vec<usize> = preds[v].iter().chain(succs[v].iter()).copied().collect();
                    if nb.is_empty() {
                        cy[v]
                    } else {
                        // dummies pull harder to stay straight
                        nb.iter().map(|&u| cy[u]).sum::<f64>() / nb.len() as f64
                    }
                })
                .collect();
            let hs: Vec<f64> = l.iter().map(|&v| vh[v]).collect();
            let placed = place_ordered(&desired, &hs, ROW_GAP);
            for (k, &v) in l.iter().enumerate() {
                cy[v] = placed[k];
            }
        }
    }

    // ---- x per column
    let mut colw = vec![0.0f64; ncols];
    for i in 0..n {
        colw[col[i]] = colw[col[i]].max(nodes[i].w);
    }
    let mut colx = vec![0.0f64; ncols];
    let mut x = MARGIN;
    for c in 0..ncols {
        colx[c] = x;
        x += colw[c] + COL_GAP;
    }
    let width = x - COL_GAP + MARGIN;

    // ---- normalise y
    let top = (0..nv)
        .map(|v| cy[v] - vh[v] / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = MARGIN - top;
    for y in cy.iter_mut() {
        *y += shift;
    }
    let height = (0..nv).map(|v| cy[v] + vh[v] / 2.0).fold(0.0, f64::max) + MARGIN;

    let boxes: Vec<Rect> = (0..n)
        .map(|i| Rect {
            x: colx[col[i]] + (colw[col[i]] - nodes[i].w) / 2.0,
            y: cy[i] - nodes[i].h / 2.0,
            w: nodes[i].w,
            h: nodes[i].h,
        })
        .collect();

    // ---- edge routes; ports spread along the child's left side in source order
    let mut incoming: Vec<Vec<(f64, usize)>> = vec![vec![]; n];
    for (e, &(p, c)) in edges.iter().enumerate() {
        let last = chains[e].last().copied().unwrap_or(p);
        incoming[c].push((cy[last], e));
    }
    let mut port_y = vec![0.0; edges.len()];
    for (c, inc) in incoming.iter_mut().enumerate() {
        insertion_sort(inc, |a, b| a.0.total_cmp(&b.0).is_lt());
        let k = inc.len() as f64;
        let b = boxes[c];
        let span = (b.h * 0.5).min(16.0 * k);
        for (j, &(_, e)) in inc.iter().enumerate() {
            port_y[e] = if k <= 1.0 {
                b.cy()
            } else {
                b.cy() - span / 2.0 + span * j as f64 / (k - 1.0)
            };
        }
    }
    let routes: Vec<EdgeRoute> = edges
        .iter()
        .enumerate()
        .map(|(e, &(p, c))| {
            let bp = boxes[p];
            let mut pts = vec![(bp.x + bp.w, bp.cy())];
            for &dv in &chains[e] {
                let k = vcol[dv];
                pts.push((colx[k], cy[dv]));
                pts.push((colx[k] + colw[k], cy[dv]));
            }
            pts.push((boxes[c].x, port_y[e]));
            EdgeRoute {
                from: p,
                to: c,
                points: pts,
            }
        })
        .collect();

    Layout {
        width,
        height,
        boxes,
        columns: col,
        edges: routes,
        crossings: best_x,
    }
}

/// A stable insertion sort. The layers and port lists it sorts are short (tens of items), and
/// each `sort_by` instance costs ~3–4 KB of wasm (the std driftsort), this ~150 bytes.
fn insertion_sort<T>(v: &mut [T], less: impl Fn(&T, &T) -> bool) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && less(&v[j], &v[j - 1]) {
            v.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// Crossings between adjacent layers (all pairs of segments, fine for ≤ a few hundred).
fn count_crossings(layers: &[Vec<usize>], succs: &[Vec<usize>], pos: &[usize]) -> usize {
    let mut total = 0;
    for l in layers {
        let mut segs: Vec<(usize, usize)> = vec![];
        for &v in l {
            for &s in &succs[v] {
                segs.push((pos[v], pos[s]));
            }
        }
        for i in 0..segs.len() {
            for j in i + 1..segs.len() {
                let (a1, b1) = segs[i];
                let (a2, b2) = segs[j];
                if (a1 < a2 && b1 > b2) || (a1 > a2 && b1 < b2) {
                    total += 1;
                }
            }
        }
    }
    total
}

/// Centres as close as possible (least squares) to `desired`, keeping the order and
/// `c[k] − c[k−1] ≥ (h[k−1] + h[k])/2 + gap`. Isotonic regression by pool-adjacent-violators.
pub fn place_ordered(desired: &[f64], h: &[f64], gap: f64) -> Vec<f64> {
    let m = desired.len();
    let mut off = vec![0.0; m];
    for k in 1..m {
        off[k] = off[k - 1] + (h[k - 1] + h[k]) / 2.0 + gap;
    }
    // blocks of (sum, count)
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(m); // (sum, count, len)
    for k in 0..m {
        blocks.push((desired[k] - off[k], 1.0, 1));
        while blocks.len() > 1 {
            let (s2, c2, l2) = blocks[blocks.len() - 1];
            let (s1, c1, l1) = blocks[blocks.len() - 2];
            if s1 / c1 > s2 / c2 {
                blocks.pop();
                let last = blocks.len() - 1;
                blocks[last] = (s1 + s2, c1 + c2, l1 + l2);
            } else {
                break;
            }
        }
    }
    let mut out = Vec::with_capacity(m);
    for (s, c, l) in blocks {
        for _ in 0..l {
            out.push(s / c);
        }
    }
    for k in 0..m {
        out[k] += off[k];
    }
    out
}

/// Gap between boxes in the stacked (phone) layout.
pub const STACK_GAP: f64 = 14.0;

/// Space between two lanes of the stacked layout's gutter, at most.
pub const LANE_GAP: f64 = 6.0;
/// The stacked layout's gutter is at most this wide (lanes pack closer on big graphs).
pub const GUTTER_MAX: f64 = 84.0;

/// The phone layout: the same boxes (sizes) and edges (same order, so edge indices still match
/// `base.edges`), stacked in one column, so a narrow screen shows the whole graph at a legible
/// size instead of scrolling sideways. The column reads like an expression tree, the output on
/// top and the inputs at the bottom (the layered layout's columns from right to left, top to
/// bottom within a column): the error appears at the top of the screen and travels down, and
/// a visitor who has scrolled to the graph sees the output first.
///
/// Edges run in a gutter on the left, each in a vertical lane of its own (a metro map rather
/// than a bundle of arcs): it leaves its parent's left side, turns up its lane and enters the
/// child's left side. Lanes are packed like intervals (the rows an edge spans), shortest edges
/// nearest the boxes, so that two edges never share a stretch of lane; where a box has several
/// edges out (or in), they leave (enter) at different heights, ordered so that they do not
/// cross each other on the way to their lanes.
pub fn stacked(base: &Layout) -> Layout {
    let n = base.boxes.len();
    if n == 0 {
        return base.clone();
    }
    let mut order: Vec<usize> = (0..n).collect();
    insertion_sort(&mut order, |&a, &b| {
        let ca = base.columns.get(a).copied().unwrap_or(0);
        let cb = base.columns.get(b).copied().unwrap_or(0);
        cb.cmp(&ca)
            .then(base.boxes[a].y.total_cmp(&base.boxes[b].y))
            .then(a.cmp(&b))
            .is_lt()
    });
    let mut rank = vec![0usize; n];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    let ok = |e: &EdgeRoute| e.from < n && e.to < n;
    // the rows each edge spans (top, bottom); shortest first, then from the top
    let span = |e: &EdgeRoute| {
        let (a, b) = (rank[e.from], rank[e.to]);
        (a.min(b), a.max(b))
    };
    let key = |k: usize| {
        let (a, b) = span(&base.edges[k]);
        (b - a, a, k)
    };
    let mut by_len: Vec<usize> = (0..base.edges.len())
        .filter(|&k| ok(&base.edges[k]))
        .collect();
    insertion_sort(&mut by_len, |&x, &y| key(x) < key(y));
    // lane of each edge: the innermost lane whose edges' spans all lie strictly apart from
    // this one's (sharing an end box would join two edges into one line)
    let mut lanes: Vec<Vec<(usize, usize)>> = vec![];
    let mut lane_of = vec![0usize; base.edges.len()];
    for &k in &by_len {
        let (a, b) = span(&base.edges[k]);
        let free = lanes
            .iter()
            .position(|l| l.iter().all(|&(c, d)| b < c || d < a));
        let lane = free.unwrap_or_else(|| {
            lanes.push(vec![]);
            lanes.len() - 1
        });
        lanes[lane].push((a, b));
        lane_of[k] = lane;
    }
    let gap = LANE_GAP.min(GUTTER_MAX / lanes.len().max(1) as f64);
    let gutter = gap * lanes.len() as f64 + 6.0;
    let x0 = MARGIN + gutter;
    let mut boxes = base.boxes.clone();
    let mut y = MARGIN;
    for &i in &order {
        boxes[i].x = x0;
        boxes[i].y = y;
        y += boxes[i].h + STACK_GAP;
    }
    let height = y - STACK_GAP + MARGIN;
    let width = x0 + boxes.iter().map(|b| b.w).fold(0.0f64, f64::max) + MARGIN;
    let lane_x = |lane: usize| x0 - 6.0 - gap * lane as f64;
    // heights where edges leave (above the middle: they go up) and enter (below it): per box,
    // the edges out from the outermost lane (lowest) to the innermost (highest), the edges in
    // from the innermost lane (lowest) to the outermost (highest), so that none crosses
    // another's lane
    let mut exit_y = vec![0.0; base.edges.len()];
    let mut entry_y = vec![0.0; base.edges.len()];
    for (i, b) in boxes.iter().enumerate() {
        // outermost lane first for the edges out, innermost first for the edges in
        let mut outs: Vec<usize> = (0..base.edges.len())
            .filter(|&k| ok(&base.edges[k]) && base.edges[k].from == i)
            .collect();
        let mut ins: Vec<usize> = (0..base.edges.len())
            .filter(|&k| ok(&base.edges[k]) && base.edges[k].to == i)
            .collect();
        insertion_sort(&mut outs, |&x, &y| lane_of[x] > lane_of[y]);
        insertion_sort(&mut ins, |&x, &y| lane_of[x] < lane_of[y]);
        let step = |m: usize| 4.0f64.min((b.h / 2.0 - 6.0).max(1.0) / m.max(1) as f64);
        let s = step(outs.len());
        for (j, &k) in outs.iter().enumerate() {
            exit_y[k] = b.cy() - 4.0 - s * j as f64;
        }
        let (s, m) = (step(ins.len()), ins.len());
        for (j, &k) in ins.iter().enumerate() {
            entry_y[k] = b.cy() + 4.0 + s * (m - 1 - j) as f64;
        }
    }
    let edges = base
        .edges
        .iter()
        .enumerate()
        .map(|(k, e)| EdgeRoute {
            from: e.from,
            to: e.to,
            points: if ok(e) {
                let (ya, yb, lx) = (exit_y[k], entry_y[k], lane_x(lane_of[k]));
                vec![(x0, ya), (lx, ya), (lx, yb), (x0, yb)]
            } else {
                vec![]
            },
        })
        .collect();
    Layout {
        width,
        height,
        boxes,
        columns: base.columns.clone(),
        edges,
        crossings: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(input: bool) -> LNode {
        LNode {
            parents: vec![],
            w: 90.0,
            h: 50.0,
            input,
            leaf: true,
        }
    }
    fn comp(parents: &[usize], h: f64) -> LNode {
        LNode {
            parents: parents.to_vec(),
            w: 130.0,
            h,
            input: false,
            leaf: false,
        }
    }

    fn check(l: &Layout, nodes: &[LNode]) {
        for i in 0..l.boxes.len() {
            for j in i + 1..l.boxes.len() {
                assert!(
                    !l.boxes[i].overlaps(&l.boxes[j], 1.0),
                    "boxes {i} and {j} overlap: {:?} {:?}",
                    l.boxes[i],
                    l.boxes[j]
                );
            }
            let b = l.boxes[i];
            assert!(
                b.x >= 0.0
                    && b.y >= 0.0
                    && b.x + b.w <= l.width + 1e-9
                    && b.y + b.h <= l.height + 1e-9
            );
        }
        for (i, nd) in nodes.iter().enumerate() {
            for &p in &nd.parents {
                assert!(l.columns[p] < l.columns[i], "edge {p}->{i} must go right");
            }
        }
        // horizontal runs through a column stay clear of that column's boxes
        for e in &l.edges {
            for w in e.points.windows(2).skip(1) {
                let ((x0, y0), (x1, y1)) = (w[0], w[1]);
                if (y0 - y1).abs() < 1e-9 && x1 > x0 {
                    for (k, b) in l.boxes.iter().enumerate() {
                        if k == e.from || k == e.to {
                            continue;
                        }
                        let hits_x = x0 < b.x + b.w && b.x < x1;
                        let hits_y = y0 > b.y && y0 < b.y + b.h;
                        assert!(
                            !(hits_x && hits_y),
                            "edge {}->{} runs through box {k}",
                            e.from,
                            e.to
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn millidge_graph_is_clean() {
        // y0, th, y1 = th*y0, y2 = sqrt y1, y3 = y0^2, t = tan y2, s = sin y3, y4 = t + s
        let nodes = vec![
            leaf(true),
            leaf(false),
            comp(&[1, 0], 60.0),
            comp(&[2], 60.0),
            comp(&[0], 60.0),
            comp(&[3], 60.0),
            comp(&[4], 60.0),
            comp(&[5, 6], 60.0),
        ];
        let l = layout(&nodes, 7);
        check(&l, &nodes);
        assert_eq!(l.crossings, 0);
        assert_eq!(l.columns, vec![0, 0, 1, 2, 2, 3, 3, 4]);
        assert_eq!(levels(&nodes, 7)[2], 3);
    }

    #[test]
    fn chain_and_skip() {
        let nodes = vec![
            leaf(true),
            leaf(false),
            leaf(false),
            comp(&[1, 0], 60.0),
            comp(&[3], 60.0),
            comp(&[2, 4], 60.0),
            comp(&[5, 3], 60.0),
        ];
        let l = layout(&nodes, 6);
        check(&l, &nodes);
        assert_eq!(l.crossings, 0);
    }

    #[test]
    fn place_ordered_keeps_gaps() {
        let c = place_ordered(&[0.0, 0.0, 0.0], &[10.0, 10.0, 10.0], 5.0);
        assert!((c[1] - c[0] - 15.0).abs() < 1e-9 && (c[2] - c[1] - 15.0).abs() < 1e-9);
        assert!((c[1]).abs() < 1e-9, "centred on the desired point: {c:?}");
        let c = place_ordered(&[0.0, 100.0], &[10.0, 10.0], 5.0);
        assert_eq!(c, vec![0.0, 100.0]);
    }

    /// Random DAGs up to 40 nodes: never an overlap, edges always rightwards.
    #[test]
    fn random_dags_never_overlap() {
        let mut seed: u64 = 12345;
        let mut rnd = |m: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % m.max(1)
        };
        for _ in 0..200 {
            let n = 3 + rnd(38);
            let nleaves = 1 + rnd(n / 2);
            let mut nodes: Vec<LNode> = (0..nleaves).map(|i| leaf(i == 0 || rnd(3) == 0)).collect();
            for i in nleaves..n {
                let k = 1 + rnd(3);
                let mut ps: Vec<usize> = (0..k).map(|_| rnd(i)).collect();
                ps.dedup();
                let h = 40.0 + rnd(200) as f64;
                nodes.push(comp(&ps, h));
            }
            // make every node reach the output: the last node consumes all childless nodes
            let out = nodes.len();
            let mut has_child = vec![false; out];
            for nd in &nodes {
                for &p in &nd.parents {
                    has_child[p] = true;
                }
            }
            let ps: Vec<usize> = (0..out).filter(|&i| !has_child[i]).collect();
            nodes.push(comp(&ps, 60.0));
            let l = layout(&nodes, out);
            check(&l, &nodes);
            check_stacked(&stacked(&l));
        }
    }

    /// The stacked layout's lanes: every edge is a left stub, a vertical run and a right stub
    /// inside the gutter; the stubs leave and enter their own boxes, a box's stubs are at
    /// different heights, and no two edges share a stretch of lane.
    fn check_stacked(st: &Layout) {
        let x0 = st.boxes.first().map_or(0.0, |b| b.x);
        assert!(
            x0 <= MARGIN + GUTTER_MAX + 6.0 + 1e-9,
            "gutter {x0} wider than its cap"
        );
        let mut ends: Vec<(usize, f64)> = vec![];
        for e in &st.edges {
            let p = &e.points;
            assert_eq!(p.len(), 4, "{e:?}");
            let (a, b) = (st.boxes[e.from], st.boxes[e.to]);
            assert!(a.y > b.y, "parent below child (output on top): {e:?}");
            assert_eq!(
                (p[0].0, p[3].0),
                (x0, x0),
                "stubs start at the boxes' left side"
            );
            assert!(
                p[1].0 == p[2].0 && p[1].0 > 0.0 && p[1].0 < x0,
                "a lane in the gutter: {e:?}"
            );
            assert!(
                p[0].1 == p[1].1 && p[2].1 == p[3].1,
                "horizontal stubs: {e:?}"
            );
            assert!(
                p[0].1 < a.cy() && p[0].1 > a.y,
                "leaves its parent's upper half: {e:?}"
            );
            assert!(
                p[3].1 > b.cy() && p[3].1 < b.y + b.h,
                "enters its child's lower half: {e:?}"
            );
            ends.push((e.from, p[0].1));
            ends.push((e.to, p[3].1));
        }
        for (i, &(b, y)) in ends.iter().enumerate() {
            for &(c, z) in &ends[i + 1..] {
                assert!(
                    b != c || (y - z).abs() > 0.5,
                    "two stubs of box {b} at one height {y}"
                );
            }
        }
        for (i, e) in st.edges.iter().enumerate() {
            for f in &st.edges[i + 1..] {
                let run = |r: &EdgeRoute| {
                    let (a, b) = (r.points[0].1, r.points[3].1);
                    (a.min(b), a.max(b))
                };
                let ((lo, hi), (lo2, hi2)) = (run(e), run(f));
                let apart = hi < lo2 || hi2 < lo;
                assert!(
                    (e.points[1].0 - f.points[1].0).abs() > 0.5 || apart,
                    "{e:?} and {f:?} share a stretch of lane"
                );
            }
        }
    }

    #[test]
    fn stacked_layout_is_one_column_in_reading_order_with_the_same_edges() {
        // a diamond: x → a, x → b, a,b → y; plus a parameter w → a
        let nodes = vec![
            LNode {
                parents: vec![],
                w: 112.0,
                h: 60.0,
                input: true,
                leaf: true,
            },
            LNode {
                parents: vec![],
                w: 112.0,
                h: 60.0,
                input: false,
                leaf: true,
            },
            LNode {
                parents: vec![0, 1],
                w: 184.0,
                h: 80.0,
                input: false,
                leaf: false,
            },
            LNode {
                parents: vec![0],
                w: 184.0,
                h: 80.0,
                input: false,
                leaf: false,
            },
            LNode {
                parents: vec![2, 3],
                w: 184.0,
                h: 80.0,
                input: false,
                leaf: false,
            },
        ];
        let base = layout(&nodes, 4);
        let st = stacked(&base);
        assert_eq!(st.boxes.len(), 5);
        assert_eq!(st.edges.len(), base.edges.len());
        for (a, b) in st.edges.iter().zip(&base.edges) {
            assert_eq!(
                (a.from, a.to),
                (b.from, b.to),
                "edge indices are kept (the lens uses them)"
            );
        }
        check_stacked(&st);
        // one column, no overlaps, sizes kept, inside the picture
        let x = st.boxes[0].x;
        for (i, b) in st.boxes.iter().enumerate() {
            assert_eq!(b.x, x);
            assert_eq!((b.w, b.h), (base.boxes[i].w, base.boxes[i].h));
            assert!(b.x + b.w <= st.width && b.y + b.h <= st.height);
            for c in &st.boxes[i + 1..] {
                assert!(!b.overlaps(c, 1.0), "{b:?} overlaps {c:?}");
            }
        }
        // an expression tree: children above their parents, the output on top
        for e in &st.edges {
            assert!(st.boxes[e.from].y > st.boxes[e.to].y, "{e:?}");
        }
        let first = st.boxes.iter().map(|b| b.y).fold(f64::INFINITY, f64::min);
        assert_eq!(st.boxes[4].y, first);
        // narrow: one box plus the gutter, far narrower than the layered picture
        assert!(
            st.width < 300.0 && st.width < base.width,
            "{} vs {}",
            st.width,
            base.width
        );
    }

    #[test]
    fn stacked_layout_of_nothing_is_empty() {
        let st = stacked(&layout(&[], 0));
        assert!(st.boxes.is_empty() && st.edges.is_empty());
    }

    #[test]
    fn stacked_layout_of_the_smallest_graphs() {
        // one input into the output; and a node that feeds the output twice (x + x)
        let two = vec![leaf(true), comp(&[0], 60.0)];
        let st = stacked(&layout(&two, 1));
        check_stacked(&st);
        assert_eq!(st.edges.len(), 1);
        assert!(st.boxes[1].y < st.boxes[0].y, "the output on top");
        let twice = vec![leaf(true), comp(&[0, 0], 60.0)];
        let st = stacked(&layout(&twice, 1));
        check_stacked(&st);
    }
}
