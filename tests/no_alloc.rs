//! The hot path allocates nothing: count allocations around `tick()` and `run()`.
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use pc_playground::engine::{Graph, Session, Variant};

struct Counting;

// Counted per thread: libtest's own threads (e.g. its "running for over 60 seconds" notice on a
// loaded machine) must not count against the hot path under test.
thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const MLP: &str = r#"{
 "nodes": [
  {"id": "x",  "op": "input", "value": [1.0, -0.5]},
  {"id": "W1", "op": "param", "value": [[0.5, -0.3], [0.8, 0.2], [-0.4, 0.6]]},
  {"id": "b1", "op": "param", "value": [0.1, -0.2, 0.05]},
  {"id": "W2", "op": "param", "value": [[0.7, -0.5, 0.3], [-0.2, 0.9, 0.4]]},
  {"id": "b2", "op": "param", "value": [0.1, -0.1]},
  {"id": "h",  "op": "linear", "act": "tanh", "parents": ["W1", "x", "b1"]},
  {"id": "m",  "op": "mul", "parents": ["h", "h"]},
  {"id": "y",  "op": "linear", "parents": ["W2", "m", "b2"], "pre": ["identity", "sin", "identity"]}
 ],
 "output": "y", "target": [0.8, -0.6]
}"#;

#[test]
fn ticks_do_not_allocate() {
    let g = Graph::from_json(MLP).unwrap();
    for v in Variant::ALL {
        let mut s = Session::with_history_capacity(g.clone(), v, 0.1, 16).unwrap();
        s.set_settle_tol(-1.0);
        let before = allocs();
        for k in 0..50 {
            s.tick(); // includes history decimation (capacity 16)
            if k % 3 == 0 {
                // the lazy leaf-gradient pass reuses its buffers
                assert!(s.pc_grad(1).iter().all(|x| x.is_finite()));
                let _ = s.metrics();
            }
        }
        s.set_history_param_stride(4);
        s.run(500);
        s.relax_until_settled(0.0, 100);
        let _ = s.metrics();
        let after = allocs();
        assert_eq!(after - before, 0, "{v:?}: {} allocations", after - before);
    }
    // nor do ticks with the output released and clamped again (the schedule is set before)
    let mut s = Session::with_history_capacity(g.clone(), Variant::Strict, 0.1, 16).unwrap();
    s.run(10);
    s.set_output_clamped(false).unwrap();
    let before = allocs();
    s.run(200);
    assert!(!s.output_clamped());
    assert_eq!(allocs() - before, 0, "released output");
    s.set_output_clamped(true).unwrap();
    let before = allocs();
    s.run(200);
    assert_eq!(allocs() - before, 0, "clamped again");
    // nor does a free input (strict PC)
    let mut s = Session::with_history_capacity(g.clone(), Variant::Strict, 0.05, 16).unwrap();
    s.set_input_free(0, true).unwrap();
    s.run(5);
    let before = allocs();
    s.run(200);
    assert_eq!(allocs() - before, 0, "free input");
    // a diverging tick does not allocate the state either (only its message)
    let mut s = Session::new(g, Variant::FixedPred, 2.5).unwrap();
    s.run(10);
    let before = allocs();
    s.run(10);
    assert_eq!(allocs() - before, 0);
}
