//! The web face (wasm32 only): renders engine state and sends it commands.
use yew::prelude::*;

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <main class="app">
            <h1>{ "Predictive Coding Playground" }</h1>
        </main>
    }
}

/// Mount the app on `<body>`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
