//! The narrative beside the playground: what PC is, what the marks mean, why the variants
//! behave as they do, what "local" means, and the papers (strings in `text_story`).
use yew::prelude::*;

use super::text_story as ts;

/// A component without props: the text never changes, so Yew renders it once instead of
/// rebuilding and diffing it on every animation frame.
#[function_component(Story)]
pub fn story() -> Html {
    html! {
        <section id="story" class="panel story" aria-labelledby="story-title">
            <h2 id="story-title">{ ts::STORY_TITLE }</h2>
            <div class="story-grid">
                { for ts::STORY.iter().map(|(id, head, paras)| html! {
                    <article id={*id} class="story-part">
                        <h3>{ *head }</h3>
                        { for paras.iter().map(|p| html! { <p>{ *p }</p> }) }
                    </article>
                }) }
            </div>
            <h3>{ ts::REFERENCES_TITLE }</h3>
            <ol class="refs small">
                { for ts::REFERENCES.iter().map(|r| html! { <li>{ *r }</li> }) }
            </ol>
        </section>
    }
}
