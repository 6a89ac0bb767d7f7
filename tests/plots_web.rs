//! The charts' sizing and the PNG export's charts, in headless Chromium (wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]
mod common;
use common::*;
use pc_playground::app::plots::{export_charts, fit, EXPORT_W};
use pc_playground::app::presets;
use pc_playground::app::sim::Sim;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

wasm_bindgen_test_configure!(run_in_browser);

fn dpr() -> f64 {
    web_sys::window()
        .unwrap()
        .device_pixel_ratio()
        .clamp(1.0, 3.0)
}

/// A canvas `w` CSS px wide (laid out in a fresh div).
fn canvas(w: u32) -> HtmlCanvasElement {
    let root = new_root();
    root.set_attribute("style", &format!("width:{w}px"))
        .unwrap();
    let doc = web_sys::window().unwrap().document().unwrap();
    let c: HtmlCanvasElement = doc.create_element("canvas").unwrap().dyn_into().unwrap();
    c.set_attribute("style", "width:100%;height:auto;display:block")
        .unwrap();
    c.set_width(560);
    c.set_height(224);
    root.append_child(&c).unwrap();
    c
}

/// Pixels of `c` that are not (near) white.
fn ink(c: &HtmlCanvasElement) -> usize {
    let ctx: CanvasRenderingContext2d = c.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    let d = ctx
        .get_image_data(0.0, 0.0, c.width() as f64, c.height() as f64)
        .unwrap()
        .data();
    d.chunks(4)
        .filter(|p| p[0] < 230 || p[1] < 230 || p[2] < 230)
        .count()
}

#[wasm_bindgen_test]
fn fit_sizes_the_backing_store_to_the_laid_out_width_times_the_pixel_ratio() {
    let c = canvas(300);
    let cw = c.client_width();
    assert_eq!(cw, 300);
    let s = fit(&c, 0.4, cw);
    assert_eq!(s, dpr(), "the scale is the pixel ratio");
    assert_eq!(c.width(), (300.0 * dpr()).round() as u32);
    assert_eq!(c.height(), (120.0 * dpr()).round() as u32);
    // again: nothing changes (a resize would clear the canvas)
    let (w, h) = (c.width(), c.height());
    fit(&c, 0.4, cw);
    assert_eq!((c.width(), c.height()), (w, h));
    // not laid out (width unknown or hidden): the size stays, drawn as if 350 CSS px wide
    let s = fit(&c, 0.4, 0);
    assert_eq!((c.width(), c.height()), (w, h));
    assert!((s - w as f64 / 350.0).abs() < 1e-12, "scale {s}");
}

#[wasm_bindgen_test]
fn the_export_draws_three_charts_at_a_fixed_size_with_the_gap_keys() {
    let mut sim = Sim::new(presets::get("paper").unwrap().json, "fixed", f64::NAN).unwrap();
    for _ in 0..20 {
        sim.tick();
    }
    let info = sim.info();
    let snap = sim.snapshot();
    let series = sim.series(300);
    let charts = export_charts(&info, &snap, &series, Some(10), None);
    assert_eq!(charts.len(), 3);
    for ch in &charts {
        assert_eq!(ch.canvas.width(), EXPORT_W);
        assert_eq!(ch.canvas.height(), (EXPORT_W as f64 * 0.4).round() as u32);
        let n = ink(&ch.canvas);
        assert!(n > 5_000, "{}: {n} drawn pixels", ch.caption);
    }
    assert!(charts[0].caption.starts_with("Energy F"));
    assert!(charts[0].caption.contains("loss L = "));
    // the gap chart's keys: overall, then every computed node with its palette colour
    let names: Vec<&str> = charts[1].keys.iter().map(|k| k.1.as_str()).collect();
    assert_eq!(names[0], "overall");
    assert_eq!(names.len(), 1 + info.computed.len());
    assert!(charts[1].keys[1..]
        .iter()
        .all(|(c, _)| c.starts_with('#') && c.len() == 7));
    assert!(charts[2].keys.is_empty());
}

#[wasm_bindgen_test]
fn the_exported_png_has_caption_bands_in_the_charts_own_colours_in_either_theme() {
    use pc_playground::app::export::plots_canvas;
    let sim = Sim::new(presets::get("paper").unwrap().json, "fixed", f64::NAN).unwrap();
    let (info, snap, series) = (sim.info(), sim.snapshot(), sim.series(300));
    let html = html_element();
    let pixel = |c: &HtmlCanvasElement, x: f64, y: f64| -> Vec<u8> {
        let ctx: CanvasRenderingContext2d =
            c.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
        ctx.get_image_data(x, y, 1.0, 1.0).unwrap().data().to_vec()
    };
    for (theme, dark) in [("light", false), ("dark", true)] {
        html.set_attribute("data-theme", theme).unwrap();
        let charts = export_charts(&info, &snap, &series, None, None);
        let chart_bg = pixel(&charts[0].canvas, 1.0, 1.0);
        let out = plots_canvas(&charts).unwrap();
        // the band above the first chart (its caption's row, left of the text)
        let band = pixel(&out, 2.0, 2.0);
        assert_eq!(band, chart_bg, "{theme}: band {band:?}, chart {chart_bg:?}");
        assert_eq!(band[0] < 100, dark, "{theme}: {band:?}");
    }
    html.remove_attribute("data-theme").unwrap();
}

#[wasm_bindgen_test]
fn a_kept_run_is_drawn_and_named_on_the_energy_and_gap_charts() {
    use pc_playground::app::state::KeptRun;
    use std::rc::Rc;
    let mut sim = Sim::new(presets::get("paper").unwrap().json, "fixed", f64::NAN).unwrap();
    for _ in 0..60 {
        sim.tick();
    }
    let kept = KeptRun {
        label: "kept: Fixed prediction, η 0.1".into(),
        series: Rc::new(sim.series(300)),
    };
    sim.set_variant("strict");
    sim.reset();
    for _ in 0..20 {
        sim.tick();
    }
    let (info, snap, series) = (sim.info(), sim.snapshot(), sim.series(300));
    let pixels = |c: &HtmlCanvasElement| {
        let ctx: CanvasRenderingContext2d =
            c.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
        ctx.get_image_data(0.0, 0.0, c.width() as f64, c.height() as f64)
            .unwrap()
            .data()
            .to_vec()
    };
    let without = export_charts(&info, &snap, &series, None, None);
    let with = export_charts(&info, &snap, &series, None, Some(&kept));
    for k in 0..2 {
        assert_ne!(
            pixels(&without[k].canvas),
            pixels(&with[k].canvas),
            "chart {k}"
        );
        assert_eq!(with[k].keys.last().unwrap().1, kept.label, "chart {k}");
        assert_eq!(
            with[k].canvas.get_attribute("data-kept").unwrap(),
            kept.series.steps.len().to_string()
        );
        assert_eq!(without[k].canvas.get_attribute("data-kept").unwrap(), "0");
    }
    // the gradients chart does not show runs over time
    assert_eq!(pixels(&without[2].canvas), pixels(&with[2].canvas));
    assert!(with[2].keys.is_empty());
}
