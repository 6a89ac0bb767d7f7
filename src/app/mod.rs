//! The web face (wasm32 only): renders engine state and sends it commands.
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

#[function_component(App)]
pub fn app() -> Html {
    let ticks = use_state(|| 0u32);
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with(*ticks, move |t| {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                draw(c, *t);
            }
            || ()
        });
    }
    let onclick = {
        let ticks = ticks.clone();
        Callback::from(move |_| ticks.set(*ticks + 1))
    };
    html! {
        <main class="app">
            <h1>{ "Predictive Coding Playground" }</h1>
            <svg id="graph" width="300" height="80" role="img" aria-label="graph">
                { for (0..3).map(|i| html!{ <circle class="node" cx={(50 + 100 * i).to_string()} cy="40" r="20" fill={ if i as u32 <= *ticks { "#2a6fdb" } else { "#ccc" } } /> }) }
            </svg>
            <button id="step" {onclick}>{ "Step" }</button>
            <span id="count">{ *ticks }</span>
            <canvas id="plot" ref={canvas} width="400" height="200" />
        </main>
    }
}

fn draw(canvas: HtmlCanvasElement, t: u32) {
    let Some(backend) = CanvasBackend::with_canvas_object(canvas) else {
        return;
    };
    let root = backend.into_drawing_area();
    let _ = root.fill(&WHITE);
    let Ok(mut chart) = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(20)
        .y_label_area_size(30)
        .build_cartesian_2d(0f64..10f64, 0f64..1f64)
    else {
        return;
    };
    let _ = chart.configure_mesh().draw();
    let k = f64::from(t) + 1.0;
    let _ = chart.draw_series(LineSeries::new(
        (0..100).map(|i| {
            let x = f64::from(i) / 10.0;
            (x, 1.0 - (-x * k / 5.0).exp())
        }),
        &BLUE,
    ));
}

/// Mount the app on `<body>`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
