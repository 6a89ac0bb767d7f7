//! "Type your own graph": a monospace editor for the expression language (`engine::expr`), with
//! line numbers, the error line highlighted and the message under it, examples, the cheat
//! sheet, and import from a file. The text is checked after a 300 ms pause (or at once with
//! Apply / Ctrl+Enter); a valid graph is sent as [`Cmd::LoadGraph`], an invalid one leaves
//! the previous graph live. Graph-file JSON (text starting with `{`) is accepted too.
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use web_sys::{Event, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement, KeyboardEvent};
use yew::prelude::*;

use super::state::Cmd;
use super::text_teach as tt;
use crate::engine::{expr, presets, Graph, GraphFile};

/// Pause after the last keystroke before the text is checked and applied.
pub const DEBOUNCE_MS: u64 = 300;
/// Line height and top padding of the text area in px (kept equal to the CSS).
const LINE_H: f64 = 20.0;
const PAD: f64 = 8.0;

/// What is wrong with the text, and where (1-based line and column) when known.
#[derive(Clone, Debug, PartialEq)]
pub struct EditError {
    pub at: Option<(usize, usize)>,
    pub message: String,
}

impl EditError {
    /// The message as shown: `line L, column C: …` when the place is known.
    pub fn shown(&self) -> String {
        match self.at {
            Some((l, c)) => tt::where_error(l, c, &self.message),
            None => self.message.clone(),
        }
    }
}

/// Check the editor text: expression language, or graph-file JSON when it starts with `{`.
/// The graph is validated as the engine would load it.
pub fn check(src: &str) -> Result<GraphFile, EditError> {
    let file = if src.trim_start().starts_with('{') {
        GraphFile::from_json_text(src).map_err(|e| EditError {
            at: Some((e.line, e.column)),
            message: tt::json_error(&e.message),
        })?
    } else {
        expr::parse(src).map_err(|e| EditError {
            at: Some((e.line, e.column)),
            message: e.message,
        })?
    };
    Graph::from_file(&file).map_err(|e| EditError {
        at: None,
        message: tt::graph_error(&e.to_string()),
    })?;
    Ok(file)
}

/// A graph file as editor text: the expression language when it can be written in it,
/// otherwise pretty JSON.
pub fn file_text(f: &GraphFile) -> String {
    expr::to_text(f).unwrap_or_else(|| serde_json::to_string_pretty(f).unwrap_or_default())
}

/// The examples menu: (value, title, text).
fn examples() -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = presets::all()
        .iter()
        .filter_map(|p| {
            let f = p.graph().ok()?;
            Some((format!("p:{}", p.key), p.title.to_string(), file_text(&f)))
        })
        .collect();
    for (k, (title, text)) in tt::SHORT_EXAMPLES.iter().enumerate() {
        v.push((format!("s:{k}"), title.to_string(), text.to_string()));
    }
    v
}

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    /// The graph shown now; the text follows it when it changes from elsewhere (presets).
    pub file: Rc<GraphFile>,
    pub on_cmd: Callback<Cmd>,
}

#[function_component(Editor)]
pub fn editor(p: &EditorProps) -> Html {
    let text = use_state(|| file_text(&p.file));
    let err = use_state(|| None::<EditError>);
    let status = use_state(|| tt::ok_status(p.file.nodes.len()));
    let help = use_state(|| false);
    let scroll = use_state(|| 0.0f64);
    let generation = use_mut_ref(|| 0u64);
    // the graph the text stands for (starts as the shown graph, so the first effect is a no-op)
    let last_sent: Rc<RefCell<Option<GraphFile>>> = use_mut_ref(|| Some((*p.file).clone()));
    let area = use_node_ref();

    // follow graph changes made elsewhere (the preset picker)
    {
        let (text, err, status, last_sent) =
            (text.clone(), err.clone(), status.clone(), last_sent.clone());
        use_effect_with(p.file.clone(), move |f| {
            let ours = last_sent.borrow().as_ref() == Some(&**f);
            if !ours {
                text.set(file_text(f));
                err.set(None);
                status.set(tt::ok_status(f.nodes.len()));
                *last_sent.borrow_mut() = Some((**f).clone());
            }
            || ()
        });
    }

    // check the text; on success send the graph (unless it is the one already shown)
    let apply: Rc<dyn Fn(&str)> = {
        let (err, status, last_sent, on_cmd) = (
            err.clone(),
            status.clone(),
            last_sent.clone(),
            p.on_cmd.clone(),
        );
        Rc::new(move |src: &str| match check(src) {
            Err(e) => {
                err.set(Some(e));
                status.set(tt::NOT_APPLIED.to_string());
            }
            Ok(f) => {
                err.set(None);
                status.set(tt::ok_status(f.nodes.len()));
                if last_sent.borrow().as_ref() != Some(&f) {
                    *last_sent.borrow_mut() = Some(f.clone());
                    on_cmd.emit(Cmd::LoadGraph(Rc::new(f)));
                }
            }
        })
    };

    let oninput = {
        let (text, status, generation, apply) = (
            text.clone(),
            status.clone(),
            generation.clone(),
            apply.clone(),
        );
        Callback::from(move |e: InputEvent| {
            let Some(el) = e.target_dyn_into::<HtmlTextAreaElement>() else {
                return;
            };
            let v = el.value();
            text.set(v.clone());
            status.set(tt::pending_status().to_string());
            *generation.borrow_mut() += 1;
            let mine = *generation.borrow();
            let (generation, apply) = (generation.clone(), apply.clone());
            yew::platform::spawn_local(async move {
                yew::platform::time::sleep(Duration::from_millis(DEBOUNCE_MS)).await;
                if *generation.borrow() == mine {
                    apply(&v);
                }
            });
        })
    };
    let apply_now = {
        let (generation, apply, area) = (generation.clone(), apply.clone(), area.clone());
        Rc::new(move || {
            *generation.borrow_mut() += 1;
            if let Some(el) = area.cast::<HtmlTextAreaElement>() {
                apply(&el.value());
            }
        })
    };
    let onkeydown = {
        let apply_now = apply_now.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                e.stop_propagation();
                apply_now();
            }
        })
    };
    let onclick_apply = {
        let apply_now = apply_now.clone();
        Callback::from(move |_: MouseEvent| apply_now())
    };
    let onscroll = {
        let scroll = scroll.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<HtmlTextAreaElement>() {
                scroll.set(el.scroll_top() as f64);
            }
        })
    };
    // the preset texts are built once (the editor re-renders with the app)
    let examples = use_memo((), |_| examples());
    let on_example = {
        let (text, generation, apply) = (text.clone(), generation.clone(), apply.clone());
        let examples = examples.clone();
        Callback::from(move |e: Event| {
            let Some(el) = e.target_dyn_into::<HtmlSelectElement>() else {
                return;
            };
            if let Some((_, _, t)) = examples.iter().find(|(k, _, _)| *k == el.value()) {
                *generation.borrow_mut() += 1;
                text.set(t.clone());
                apply(t);
            }
            el.set_value("");
        })
    };
    let on_import = {
        let (text, err, status, generation, apply) = (
            text.clone(),
            err.clone(),
            status.clone(),
            generation.clone(),
            apply.clone(),
        );
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let Some(file) = input.files().and_then(|l| l.get(0)) else {
                return;
            };
            input.set_value("");
            *generation.borrow_mut() += 1;
            let (text, err, status, apply) =
                (text.clone(), err.clone(), status.clone(), apply.clone());
            yew::platform::spawn_local(async move {
                let name = file.name();
                let got = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                match got.ok().and_then(|v| v.as_string()) {
                    Some(src) => {
                        // JSON is shown as the expression text when it can be written so; the
                        // graph itself is loaded exactly as in the file
                        let shown = match check(&src) {
                            Ok(f) if src.trim_start().starts_with('{') => file_text(&f),
                            _ => src.clone(),
                        };
                        text.set(shown);
                        apply(&src);
                    }
                    None => {
                        err.set(Some(EditError {
                            at: None,
                            message: tt::read_failed(&name),
                        }));
                        status.set(tt::NOT_APPLIED.to_string());
                    }
                }
            });
        })
    };
    let toggle_help = {
        let help = help.clone();
        Callback::from(move |_: MouseEvent| help.set(!*help))
    };

    let lines: Vec<&str> = text.split('\n').collect();
    let err_line = err.as_ref().and_then(|e| e.at).map(|(l, _)| l);
    let gutter = (1..=lines.len().max(1)).map(|n| {
        html! { <div class={classes!("ln", (Some(n) == err_line).then_some("err"))}>{ n }</div> }
    });
    let band = err_line.map(|l| {
        let top = PAD + (l.saturating_sub(1)) as f64 * LINE_H - *scroll;
        html! { <div class="err-band" aria-hidden="true" style={format!("top:{top:.0}px")}></div> }
    });
    let shift = format!("transform:translateY({:.0}px)", -*scroll);
    let error_view = err.as_ref().map(|e| {
        let excerpt = e.at.and_then(|(l, c)| {
            let src = lines.get(l.checked_sub(1)?)?;
            let num = l.to_string();
            let pad = " ".repeat(num.len());
            let caret = " ".repeat(c.saturating_sub(1));
            Some(format!("{num} │ {src}\n{pad} │ {caret}^"))
        });
        html! {
            <div id="editor-error" class="editor-error" role="alert"
                data-line={e.at.map(|(l, _)| l.to_string())} data-column={e.at.map(|(_, c)| c.to_string())}>
                if let Some(x) = excerpt { <pre class="excerpt">{ x }</pre> }
                <p class="msg">{ e.shown() }</p>
            </div>
        }
    });
    html! {
        <section class="panel editor-panel" aria-label={tt::EDITOR_TITLE}>
            <div class="editor-head">
                <h2>{ tt::EDITOR_TITLE }</h2>
                <div class="editor-tools">
                    <select id="examples" onchange={on_example} aria-label={tt::EXAMPLES}>
                        <option value="" selected=true>{ tt::EXAMPLES_PICK }</option>
                        { for examples.iter().map(|(k, title, _)| html! { <option value={k.clone()}>{ title.clone() }</option> }) }
                    </select>
                    <label class="button import" title={tt::IMPORT_HINT}>
                        { tt::IMPORT }
                        <input type="file" id="import-file" accept=".json,.txt,.pc,.graph,application/json,text/plain" onchange={on_import} />
                    </label>
                    <button type="button" id="editor-help" aria-pressed={help.to_string()} onclick={toggle_help}>{ tt::HELP_SHOW }</button>
                    <button type="button" id="editor-apply" class="primary" title={tt::APPLY_HINT} onclick={onclick_apply}>{ tt::APPLY }</button>
                </div>
            </div>
            <p class="muted small editor-intro">{ tt::EDITOR_INTRO }</p>
            if *help { <pre id="editor-cheatsheet" class="cheatsheet">{ expr::HELP }</pre> }
            <div class={classes!("editor-box", err.is_some().then_some("has-error"))}>
                <div class="gutter" aria-hidden="true"><div style={shift.clone()}>{ for gutter }</div></div>
                <div class="code">
                    { for band }
                    <textarea id="editor" ref={area} spellcheck="false" autocomplete="off" wrap="off"
                        aria-label={tt::EDITOR_LABEL} aria-invalid={err.is_some().to_string()}
                        aria-describedby="editor-status"
                        value={(*text).clone()} {oninput} {onkeydown} {onscroll} />
                </div>
            </div>
            <p id="editor-status" class={classes!("editor-status", err.is_some().then_some("bad"))} aria-live="polite">{ (*status).clone() }</p>
            { for error_view }
        </section>
    }
}
