//! The size floor of the fixed stack (see build.sh and BENCHMARKS.md): a minimal Yew app,
//! optionally with one plotters chart (`plot`) and the engine relaxing every preset (`engine`).
use yew::prelude::*;

#[function_component]
fn App() -> Html {
    let n = use_state(|| 0u32);
    let onclick = {
        let n = n.clone();
        Callback::from(move |_| n.set(*n + 1))
    };
    #[allow(unused_mut)]
    let mut extra = String::new();
    #[cfg(feature = "engine")]
    {
        use pc_playground::engine::{
            graph::Graph,
            relax::{Session, Variant},
        };
        for p in pc_playground::engine::presets::all() {
            if let Ok(f) = p.graph() {
                if let Ok(g) = Graph::from_file(&f) {
                    if let Ok(mut s) = Session::new(g, Variant::FixedPred, 0.1) {
                        s.run(100 + *n as usize);
                        extra.push_str(&format!(
                            "{} {:.4} {}; ",
                            p.title,
                            s.energy(),
                            s.metrics().max_abs_err_nodes
                        ));
                    }
                }
            }
        }
    }
    html! {
        <div class="app">
            <button {onclick}>{ "step" }</button>
            <span>{ format!("{} {}", *n, 1.0f64 / (*n as f64 + 1.0)) }</span>
            <p>{ extra }</p>
            <canvas id="c" width="300" height="200"></canvas>
        </div>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
    #[cfg(feature = "plot")]
    {
        use plotters::prelude::*;
        use plotters_canvas::CanvasBackend;
        if let Some(b) = CanvasBackend::new("c") {
            let root = b.into_drawing_area();
            let _ = root.fill(&WHITE);
            if let Ok(mut ch) = ChartBuilder::on(&root)
                .margin(5)
                .x_label_area_size(20)
                .y_label_area_size(30)
                .build_cartesian_2d(0f64..10f64, 0f64..1f64)
            {
                let _ = ch.configure_mesh().draw();
                let _ = ch.draw_series(LineSeries::new(
                    (0..10).map(|i| (i as f64, 1.0 / (i as f64 + 1.0))),
                    &BLUE,
                ));
            }
        }
    }
}
