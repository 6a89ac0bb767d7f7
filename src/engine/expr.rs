//! The expression language: type a computation graph as a few lines of text.
//!
//! ```text
//! # the chain
//! input x = 0.8
//! param w1 = 1.5, w2 = -0.9
//! h = tanh(w1 * x)
//! y = w2 * h
//! target y = 0.4
//! ```
//!
//! # Syntax
//!
//! * **Statements** go one per line, or several on a line separated by `;`. A `#` starts a
//!   comment that runs to the end of the line. Inside `( )` and `[ ]` a statement may continue
//!   on the next line (handy for matrices).
//! * **Leaves**: `input NAME = VALUE` declares a clamped input, `param NAME = VALUE` a parameter.
//!   Several may share one statement: `param w1 = 1.5, w2 = -0.9`. A VALUE is a number (`0.8`,
//!   `-2`, `1e-3`), a vector (`[1, -0.5]`) or a matrix, written as a list of rows
//!   (`[[0.5, -0.3], [0.8, 0.2]]`).
//! * **Computed nodes**: `NAME = EXPR`. The node is named after the assignment; every operator
//!   or function inside `EXPR` becomes a node of its own with a generated id (`mul1`, `tanh1`,
//!   …). `y = x` (a bare name or number) makes an `identity` node `y`. A name must be defined
//!   above the line that uses it, and defined only once; names may be used many times (fan-out).
//! * **Target**: `target NAME = VALUE` clamps the node `NAME` to VALUE. It is the output of
//!   the graph: it must be a computed node that no other node uses, and every other computed
//!   node must lead to it. Exactly one `target` is required.
//! * **Settings** (optional): `rate = 0.1` (the inference rate η), `steps = 200` (relaxation
//!   steps), `record = [0, 1, 5, 20, 200]` (steps to report), `variance NAME = 2` (σ² of a
//!   computed node; several: `variance a = 2, y = 0.5`), `name = "my graph"` (the title).
//!
//! # Expressions
//!
//! | you write | node(s) made |
//! |---|---|
//! | `a + b + c` | one `add` node with the parents `a, b, c` |
//! | `a - b` | `sub` |
//! | `a * b` | `mul` (elementwise, with broadcasting) |
//! | `A @ x` or `matmul(A, x)` | `matmul` |
//! | `x^2` (or `x**2`) | `square`; other powers are refused: write `x * x^2` |
//! | `x / 2` | `mul` by the constant `0.5`: only division by a number is allowed, because the graph format has no division |
//! | `-x` | `mul` by the constant `-1` (a negative number such as `-2` is just a constant) |
//! | `2`, `[1, 2]` | a constant: a clamped `input` leaf with a generated id (`c1`, `c2`, …) |
//! | `tanh(x)`, `sigmoid`, `relu`, `sin`, `cos`, `exp`, `square`, `sqrt`, `tan`, `identity` | the elementwise node of that name |
//! | `sum(v)` | `sum` of all elements (a scalar) |
//! | `linear(W, x)`, `linear(W, x, b)` | `linear`: `W @ x (+ b)` as one node |
//! | `add(a, b, …)`, `sub(a, b)`, `mul(a, b)` | the same as the operators |
//!
//! Precedence, from loosest to tightest: `+ -`, then `* / @`, then unary `-`, then `^`
//! (so `-x^2` is `-(x^2)`), then calls and parentheses. All binary operators group to the left.
//!
//! Any function call may end with the named arguments `act = f` (an elementwise function applied
//! after the op, in the same node) and `pre = [f, g, …]` (one elementwise function per argument,
//! applied first): `h = linear(W, x, b, act = tanh)` is one layer node `tanh(W x + b)`, and
//! `y = add(t, s, pre = [tan, sin])` is one node `tan(t) + sin(s)`.
//!
//! Keywords (`input`, `param`, `target`, `variance`, `rate`, `steps`, `record`, `name`) and
//! function names cannot be used as node names.
//!
//! [`parse`] turns text into a [`GraphFile`], or into an [`ExprError`] that says where and what
//! in one sentence, e.g. ``line 3, column 5: unknown function `tanhh` (did you mean `tanh`?)``.
//! It never panics, whatever the text. [`to_text`] prints a graph file back as text, and
//! [`HELP`] is a short cheat sheet for the editor.
use super::format::{GraphFile, JsonValue, NodeSpec};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A cheat sheet of the language, for the editor's help panel (plain text).
pub const HELP: &str = "\
input x = 0.8              clamped input (number, vector [1, 2] or matrix [[1, 2], [3, 4]])
param w1 = 1.5, w2 = -0.9  parameters
h = tanh(w1 * x)           a computed node (inner operations get ids like mul1)
y = w2 * h
target y = 0.4             the output node and its target (required, once)
rate = 0.1; steps = 200    optional settings; also record = [0, 1, 5], variance y = 2, name = \"…\"
operators:  + - * / (by a number only) @ (matmul) ^2 (square), unary -, parentheses
functions:  tanh sigmoid relu sin cos exp square sqrt tan identity sum matmul linear add sub mul
layers:     linear(W, x, b, act = tanh)   fused: add(t, s, pre = [tan, sin])
comments start with #; statements end at a newline or ;";

/// A parse error: where (1-based line and column, counted in characters) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ExprError {}

/// The elementwise functions of the graph format (one parent each).
pub const ELEMENTWISE: &[&str] = &[
    "tanh", "sigmoid", "relu", "sin", "cos", "exp", "square", "sqrt", "tan", "identity",
];
/// Every function name the language knows.
const FUNCTIONS: &[&str] = &[
    "tanh", "sigmoid", "relu", "sin", "cos", "exp", "square", "sqrt", "tan", "identity", "sum",
    "matmul", "linear", "add", "sub", "mul",
];
const KEYWORDS: &[&str] = &[
    "input", "param", "target", "variance", "rate", "steps", "record", "name",
];
/// Tallest expression tree (operators applied to operators); beyond it the text is refused.
const MAX_DEPTH: usize = 200;
/// Deepest nesting of parentheses, calls and unary minus signs (each costs parser stack).
const MAX_NEST: usize = 32;
/// Largest `steps` accepted.
const MAX_STEPS: usize = 1_000_000;

fn err<T>(line: usize, column: usize, message: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError {
        line,
        column,
        message: message.into(),
    })
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Str(String),
    /// One of `+ - * / ^ @ ( ) [ ] , =`; `**` is lexed as `^`.
    Sym(char),
    /// End of a statement: a newline (outside brackets) or `;`.
    End,
    Eof,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    line: usize,
    col: usize,
    /// The source text of the token (for messages).
    text: String,
}

fn describe(t: &Token) -> String {
    match &t.tok {
        Tok::End if t.text == ";" => "`;`".into(),
        Tok::End => "the end of the line".into(),
        Tok::Eof => "the end of the text".into(),
        Tok::Str(_) => "a string".into(),
        _ => format!("`{}`", t.text),
    }
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn lex(src: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    // Brackets open, to let a statement continue over newlines inside them.
    let mut depth = 0usize;
    while i < chars.len() {
        let c = chars[i];
        let (l0, c0) = (line, col);
        if c == '\n' {
            if depth == 0 {
                toks.push(Token {
                    tok: Tok::End,
                    line,
                    col,
                    text: "\n".into(),
                });
            }
            i += 1;
            line += 1;
            col = 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            col += 1;
            continue;
        }
        if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
                col += 1;
            }
            continue;
        }
        let start = i;
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            // Glued letters or dots make a bad number (`1.2.3`, `2x`).
            let mut glued = false;
            while i < chars.len() && (is_ident_char(chars[i]) || chars[i] == '.') {
                glued = true;
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            col += i - start;
            if glued {
                let hint = if text
                    .chars()
                    .skip_while(|d| d.is_ascii_digit() || *d == '.')
                    .all(is_ident_char)
                    && text.chars().filter(|d| *d == '.').count() <= 1
                {
                    " (for a product write it with `*`, e.g. `2 * x`)"
                } else {
                    ""
                };
                return err(l0, c0, format!("bad number `{text}`{hint}"));
            }
            match crate::numparse::parse_f64(&text) {
                Some(v) if v.is_finite() => toks.push(Token {
                    tok: Tok::Num(v),
                    line: l0,
                    col: c0,
                    text,
                }),
                Some(_) => return err(l0, c0, format!("the number `{text}` is too large")),
                None => return err(l0, c0, format!("bad number `{text}`")),
            }
            continue;
        }
        if is_ident_start(c) {
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            col += i - start;
            toks.push(Token {
                tok: Tok::Ident(text.clone()),
                line: l0,
                col: c0,
                text,
            });
            continue;
        }
        if c == '"' {
            i += 1;
            col += 1;
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None | Some('\n') => {
                        return err(l0, c0, "unterminated string: add the closing `\"`")
                    }
                    Some('"') => {
                        i += 1;
                        col += 1;
                        break;
                    }
                    Some('\\') => {
                        match chars.get(i + 1) {
                            Some('n') => s.push('\n'),
                            Some('"') => s.push('"'),
                            Some('\\') => s.push('\\'),
                            _ => {
                                return err(
                                    line,
                                    col,
                                    "unknown escape in a string (use `\\\"`, `\\\\` or `\\n`)",
                                )
                            }
                        }
                        i += 2;
                        col += 2;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                        col += 1;
                    }
                }
            }
            toks.push(Token {
                tok: Tok::Str(s),
                line: l0,
                col: c0,
                text: "\"…\"".into(),
            });
            continue;
        }
        let tok = match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                col += 2;
                toks.push(Token {
                    tok: Tok::Sym('^'),
                    line: l0,
                    col: c0,
                    text: "**".into(),
                });
                continue;
            }
            '+' | '-' | '*' | '/' | '^' | '@' | ',' | '=' => Tok::Sym(c),
            '(' | '[' => {
                depth += 1;
                Tok::Sym(c)
            }
            ')' | ']' => {
                depth = depth.saturating_sub(1);
                Tok::Sym(c)
            }
            ';' => Tok::End,
            _ => {
                let hint = match c {
                    '{' | '}' => " (use `(` `)` to group and `[` `]` for vectors)",
                    '×' | '·' => " (write `*` for a product)",
                    '√' => " (write `sqrt(x)`)",
                    '²' => " (write `x^2`)",
                    '−' => " (use the ASCII minus `-`)",
                    _ => "",
                };
                // control and invisible characters are named, not printed
                let shown = if c.is_control() || c.is_whitespace() || c == '\u{feff}' {
                    format!("U+{:04X}", c as u32)
                } else {
                    format!("`{c}`")
                };
                return err(l0, c0, format!("unexpected character {shown}{hint}"));
            }
        };
        i += 1;
        col += 1;
        toks.push(Token {
            tok,
            line: l0,
            col: c0,
            text: c.to_string(),
        });
    }
    toks.push(Token {
        tok: Tok::Eof,
        line,
        col,
        text: String::new(),
    });
    Ok(toks)
}

// ---------------------------------------------------------------------------------------------
// Syntax tree

#[derive(Clone, Debug)]
enum Ek {
    Lit(JsonValue),
    Name(String),
    Neg(Box<Ex>),
    /// A chain `a + b + c`: one node.
    Add(Vec<Ex>),
    /// `-`, `*`, `@`, `/`.
    Bin(char, Box<Ex>, Box<Ex>),
    Call {
        name: String,
        args: Vec<Ex>,
        act: Option<String>,
        pre: Option<Vec<String>>,
    },
}

#[derive(Clone, Debug)]
struct Ex {
    kind: Ek,
    line: usize,
    col: usize,
    /// Height of the tree below (1 for a leaf), bounded by `MAX_DEPTH`.
    depth: usize,
}

#[derive(Clone, Debug)]
struct Pos {
    line: usize,
    col: usize,
}

#[derive(Clone, Debug)]
enum Stmt {
    Leaf {
        op: &'static str,
        items: Vec<(String, Pos, JsonValue)>,
    },
    Assign {
        name: String,
        pos: Pos,
        expr: Ex,
    },
    Target {
        name: String,
        pos: Pos,
        value: JsonValue,
    },
    Variance(Vec<(String, Pos, f64)>),
    Rate(f64),
    Steps(usize),
    Record(Vec<usize>),
    Name(String),
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The token list always ends with Eof and `i` never passes it.
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn peek2(&self) -> &Token {
        &self.toks[(self.i + 1).min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn is_sym(&self, c: char) -> bool {
        self.peek().tok == Tok::Sym(c)
    }

    fn expect_sym(&mut self, c: char, what: &str) -> Result<Token, ExprError> {
        if self.is_sym(c) {
            Ok(self.bump())
        } else {
            let t = self.peek();
            err(
                t.line,
                t.col,
                format!("expected {what}, found {}", describe(t)),
            )
        }
    }

    fn unexpected<T>(&self, what: &str) -> Result<T, ExprError> {
        let t = self.peek();
        let found = describe(t);
        let msg = match &t.tok {
            Tok::Sym(')') | Tok::Sym(']') => format!("unexpected {found}: no bracket to close"),
            _ => format!("expected {what}, found {found}"),
        };
        err(t.line, t.col, msg)
    }

    fn program(&mut self) -> Result<Vec<Stmt>, ExprError> {
        let mut out = Vec::new();
        loop {
            match self.peek().tok {
                Tok::Eof => return Ok(out),
                Tok::End => {
                    self.bump();
                }
                _ => {
                    out.push(self.statement()?);
                    match self.peek().tok {
                        Tok::End | Tok::Eof => {}
                        _ => {
                            return self.unexpected("an operator or the end of the statement");
                        }
                    }
                }
            }
        }
    }

    /// A name to be defined: an identifier that is not a keyword or a function.
    fn new_name(&mut self, what: &str) -> Result<(String, Pos), ExprError> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Ident(s) => {
                check_name(s, t.line, t.col)?;
                self.bump();
                Ok((
                    s.clone(),
                    Pos {
                        line: t.line,
                        col: t.col,
                    },
                ))
            }
            _ => self.unexpected(what),
        }
    }

    fn statement(&mut self) -> Result<Stmt, ExprError> {
        let t = self.peek().clone();
        let Tok::Ident(word) = &t.tok else {
            return self.unexpected("a statement such as `y = w * x`");
        };
        let keyword = KEYWORDS.contains(&word.as_str());
        if keyword {
            self.bump();
        }
        match word.as_str() {
            "input" | "param" => {
                let op: &'static str = if word == "input" { "input" } else { "param" };
                if self.is_sym('=') {
                    return err(
                        t.line,
                        t.col,
                        format!("`{op}` is a keyword: write `{op} NAME = VALUE`"),
                    );
                }
                let mut items = Vec::new();
                loop {
                    let (name, pos) = self.new_name(&format!("a name after `{op}`"))?;
                    self.expect_sym('=', &format!("`=` and a value after `{name}`"))?;
                    let v = self.value()?;
                    items.push((name, pos, v));
                    if self.is_sym(',') {
                        self.bump();
                    } else {
                        break;
                    }
                }
                Ok(Stmt::Leaf { op, items })
            }
            "target" => {
                if self.is_sym('=') {
                    return err(
                        t.line,
                        t.col,
                        "write `target NAME = VALUE`, e.g. `target y = 1`",
                    );
                }
                let (name, pos) = self.new_name("the name of the output node after `target`")?;
                self.expect_sym('=', &format!("`=` and the target value after `{name}`"))?;
                let value = self.value()?;
                Ok(Stmt::Target { name, pos, value })
            }
            "variance" => {
                if self.is_sym('=') {
                    return err(
                        t.line,
                        t.col,
                        "write `variance NAME = VALUE`, e.g. `variance y = 2`",
                    );
                }
                let mut items = Vec::new();
                loop {
                    let (name, pos) = self.new_name("a node name after `variance`")?;
                    self.expect_sym('=', &format!("`=` and a number after `{name}`"))?;
                    let (v, vt) = self.signed_number("a positive number")?;
                    if v <= 0.0 {
                        return err(vt.line, vt.col, "a variance must be a positive number");
                    }
                    items.push((name, pos, v));
                    if self.is_sym(',') {
                        self.bump();
                    } else {
                        break;
                    }
                }
                Ok(Stmt::Variance(items))
            }
            "rate" => {
                self.expect_sym('=', "`=` and a number after `rate`")?;
                let (v, vt) = self.signed_number("a positive number")?;
                if v <= 0.0 {
                    return err(
                        vt.line,
                        vt.col,
                        "the rate must be a positive number, e.g. `rate = 0.1`",
                    );
                }
                Ok(Stmt::Rate(v))
            }
            "steps" => {
                self.expect_sym('=', "`=` and a whole number after `steps`")?;
                let (n, _) = self.count("a whole number of steps")?;
                Ok(Stmt::Steps(n))
            }
            "record" => {
                self.expect_sym('=', "`=` and a list of steps after `record`")?;
                self.expect_sym('[', "a list of steps such as `[0, 1, 5, 20, 100]`")?;
                let mut v = Vec::new();
                if !self.is_sym(']') {
                    loop {
                        v.push(self.count("a whole number (a step)")?.0);
                        if self.is_sym(',') {
                            self.bump();
                        } else {
                            break;
                        }
                    }
                }
                self.expect_sym(']', "`,` or `]` in the list of steps")?;
                Ok(Stmt::Record(v))
            }
            "name" => {
                self.expect_sym('=', "`=` and a quoted title after `name`")?;
                let t = self.peek().clone();
                match t.tok {
                    Tok::Str(s) => {
                        self.bump();
                        Ok(Stmt::Name(s))
                    }
                    _ => self.unexpected("a quoted title such as `\"my graph\"`"),
                }
            }
            _ => {
                let (name, pos) = self.new_name("a statement such as `y = w * x`")?;
                if !self.is_sym('=') {
                    let nt = self.peek();
                    let msg = if matches!(nt.tok, Tok::Ident(_)) {
                        format!(
                            "unknown statement `{name}`; a statement is `NAME = EXPRESSION` or starts with one of: {}",
                            KEYWORDS.join(", ")
                        )
                    } else {
                        format!("expected `=` after `{name}`, found {}", describe(nt))
                    };
                    return err(nt.line, nt.col, msg);
                }
                self.bump();
                let expr = self.expr()?;
                Ok(Stmt::Assign { name, pos, expr })
            }
        }
    }

    fn signed_number(&mut self, what: &str) -> Result<(f64, Token), ExprError> {
        let first = self.peek().clone();
        let neg = if self.is_sym('-') {
            self.bump();
            true
        } else {
            false
        };
        match self.peek().tok {
            Tok::Num(v) => {
                self.bump();
                Ok((if neg { -v } else { v }, first))
            }
            _ => self.unexpected(what),
        }
    }

    fn count(&mut self, what: &str) -> Result<(usize, Token), ExprError> {
        let t = self.peek().clone();
        match t.tok {
            Tok::Num(v) if v >= 0.0 && v.fract() == 0.0 && v <= MAX_STEPS as f64 => {
                self.bump();
                Ok((v as usize, t))
            }
            Tok::Num(_) => err(
                t.line,
                t.col,
                format!(
                    "expected {what} between 0 and {MAX_STEPS}, found `{}`",
                    t.text
                ),
            ),
            _ => self.unexpected(what),
        }
    }

    /// A literal value: a number, a vector `[1, 2]` or a matrix `[[1, 2], [3, 4]]`.
    fn value(&mut self) -> Result<JsonValue, ExprError> {
        if !self.is_sym('[') {
            return Ok(JsonValue::Scalar(
                self.signed_number("a number, a vector `[1, 2]` or a matrix `[[1, 2], [3, 4]]`")?
                    .0,
            ));
        }
        let open = self.bump();
        if self.is_sym('[') {
            let mut rows: Vec<Vec<f64>> = Vec::new();
            loop {
                let rt = self.peek().clone();
                if !self.is_sym('[') {
                    return self.unexpected("a row `[…]` of the matrix");
                }
                let row = self.row()?;
                if let Some(first) = rows.first() {
                    if first.len() != row.len() {
                        return err(
                            rt.line,
                            rt.col,
                            format!(
                                "every row of a matrix must have the same length: this row has {}, the first has {}",
                                row.len(),
                                first.len()
                            ),
                        );
                    }
                }
                rows.push(row);
                if self.is_sym(',') {
                    self.bump();
                } else {
                    break;
                }
            }
            self.close(']', &open, "`,` or `]` in the matrix")?;
            Ok(JsonValue::Matrix(rows))
        } else {
            // Re-read the vector with its opening bracket.
            self.i -= 1;
            Ok(JsonValue::Vector(self.row()?))
        }
    }

    fn row(&mut self) -> Result<Vec<f64>, ExprError> {
        let open = self.expect_sym('[', "`[`")?;
        if self.is_sym(']') {
            return err(open.line, open.col, "a vector needs at least one number");
        }
        let mut v = Vec::new();
        loop {
            if self.is_sym('[') {
                let t = self.peek();
                return err(
                    t.line,
                    t.col,
                    "values nest at most two levels deep (a matrix)",
                );
            }
            v.push(self.signed_number("a number in the vector")?.0);
            if self.is_sym(',') {
                self.bump();
            } else {
                break;
            }
        }
        self.close(']', &open, "`,` or `]` in the vector")?;
        Ok(v)
    }

    fn close(&mut self, c: char, open: &Token, what: &str) -> Result<Token, ExprError> {
        if self.is_sym(c) {
            return Ok(self.bump());
        }
        let t = self.peek();
        // A newline was skipped inside the brackets: most likely the bracket was never closed.
        let prev_line = self.toks[self.i.saturating_sub(1)].line;
        if matches!(t.tok, Tok::End | Tok::Eof) || t.line > prev_line {
            err(
                open.line,
                open.col,
                format!("unclosed `{}`: add a matching `{c}`", open.text),
            )
        } else {
            err(
                t.line,
                t.col,
                format!("expected {what}, found {}", describe(t)),
            )
        }
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_NEST {
            let t = self.peek();
            return err(
                t.line,
                t.col,
                format!("the expression is nested too deeply (more than {MAX_NEST} levels)"),
            );
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Ex, ExprError> {
        self.enter()?;
        let r = self.expr_inner();
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self) -> Result<Ex, ExprError> {
        // The terms of an open `+` chain: `a + b + c` is one add node.
        let mut terms = vec![self.term()?];
        loop {
            if self.is_sym('+') {
                self.bump();
                terms.push(self.term()?);
            } else if self.is_sym('-') {
                let op = self.bump();
                let left = collapse(terms)?;
                let rhs = self.term()?;
                terms = vec![bin('-', left, rhs, &op)?];
            } else {
                break;
            }
        }
        collapse(terms)
    }

    fn term(&mut self) -> Result<Ex, ExprError> {
        let mut left = self.unary()?;
        while let Tok::Sym(c @ ('*' | '/' | '@')) = self.peek().tok {
            let op = self.bump();
            let rhs = self.unary()?;
            left = bin(c, left, rhs, &op)?;
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Ex, ExprError> {
        if self.is_sym('-') {
            let t = self.bump();
            self.enter()?;
            let inner = self.unary();
            self.depth -= 1;
            let inner = inner?;
            return mk(Ek::Neg(Box::new(inner)), t.line, t.col);
        }
        if self.is_sym('+') {
            let t = self.peek();
            return err(t.line, t.col, "unexpected `+`: a unary plus is not needed");
        }
        self.power()
    }

    fn power(&mut self) -> Result<Ex, ExprError> {
        let mut base = self.atom()?;
        while self.is_sym('^') {
            let op = self.bump();
            let pt = self.peek().clone();
            let neg = self.is_sym('-');
            match (&pt.tok, neg) {
                (Tok::Num(v), false) if *v == 2.0 => {
                    self.bump();
                    base = call("square", vec![base], &op)?;
                }
                (Tok::Num(v), false) if *v == 0.5 => {
                    return err(
                        pt.line,
                        pt.col,
                        "only the power 2 is supported: write `sqrt(x)` for a square root",
                    );
                }
                (Tok::Num(_), _) | (Tok::Sym('-'), _) => {
                    return err(
                        pt.line,
                        pt.col,
                        "only the power 2 is supported (`x^2` is `square(x)`): write other powers as products, e.g. `x * x^2`",
                    );
                }
                _ => {
                    return err(
                        pt.line,
                        pt.col,
                        format!(
                            "expected the power `2` after `{}`, found {}",
                            op.text,
                            describe(&pt)
                        ),
                    )
                }
            }
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Ex, ExprError> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Num(v) => {
                self.bump();
                mk(Ek::Lit(JsonValue::Scalar(*v)), t.line, t.col)
            }
            Tok::Sym('[') => {
                let v = self.value()?;
                mk(Ek::Lit(v), t.line, t.col)
            }
            Tok::Sym('(') => {
                let open = self.bump();
                let e = self.expr()?;
                self.close(')', &open, "an operator or `)`")?;
                Ok(e)
            }
            Tok::Ident(name) => {
                self.bump();
                if self.is_sym('(') {
                    self.call(name.clone(), &t)
                } else {
                    mk(Ek::Name(name.clone()), t.line, t.col)
                }
            }
            _ => self.unexpected("a name, a number or `(`"),
        }
    }

    fn call(&mut self, name: String, nt: &Token) -> Result<Ex, ExprError> {
        if !FUNCTIONS.contains(&name.as_str()) {
            let hint = suggest(&name, FUNCTIONS.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_else(|| format!(" (known: {})", FUNCTIONS.join(", ")));
            return err(nt.line, nt.col, format!("unknown function `{name}`{hint}"));
        }
        let open = self.bump();
        self.enter()?;
        let r = self.call_args(name, nt, &open);
        self.depth -= 1;
        r
    }

    fn call_args(&mut self, name: String, nt: &Token, open: &Token) -> Result<Ex, ExprError> {
        let mut args = Vec::new();
        let mut act = None;
        let mut pre = None;
        if !self.is_sym(')') {
            loop {
                let t = self.peek().clone();
                let named = match (&t.tok, &self.peek2().tok) {
                    (Tok::Ident(k), Tok::Sym('=')) => Some(k.clone()),
                    _ => None,
                };
                if let Some(k) = named {
                    self.bump();
                    self.bump();
                    match k.as_str() {
                        "act" if act.is_none() => act = Some(self.func_name()?),
                        "pre" if pre.is_none() => {
                            let o =
                                self.expect_sym('[', "a list of functions such as `[tan, sin]`")?;
                            let mut v = vec![self.func_name()?];
                            while self.is_sym(',') {
                                self.bump();
                                v.push(self.func_name()?);
                            }
                            self.close(']', &o, "`,` or `]` in the list of functions")?;
                            pre = Some((v, t.clone()));
                        }
                        "act" | "pre" => {
                            return err(t.line, t.col, format!("`{k}` is given twice"));
                        }
                        _ => {
                            return err(
                                t.line,
                                t.col,
                                format!("unknown named argument `{k}` (only `act` and `pre`)"),
                            )
                        }
                    }
                } else {
                    if act.is_some() || pre.is_some() {
                        return err(
                            t.line,
                            t.col,
                            "named arguments (`act`, `pre`) must come last",
                        );
                    }
                    args.push(self.expr()?);
                }
                if self.is_sym(',') {
                    self.bump();
                } else {
                    break;
                }
            }
        }
        self.close(
            ')',
            open,
            &format!("`,` or `)` after the arguments of `{name}`"),
        )?;
        let n = args.len();
        let ok = match name.as_str() {
            "add" => n >= 1,
            "sub" | "mul" | "matmul" => n == 2,
            "linear" => n == 2 || n == 3,
            _ => n == 1,
        };
        if !ok {
            let want = match name.as_str() {
                "add" => "at least one argument".to_string(),
                "sub" | "mul" | "matmul" => "2 arguments".to_string(),
                "linear" => "2 or 3 arguments (`linear(W, x)` or `linear(W, x, b)`)".to_string(),
                _ => "1 argument".to_string(),
            };
            return err(nt.line, nt.col, format!("`{name}` takes {want}, not {n}"));
        }
        let pre = match pre {
            Some((v, t)) => {
                if v.len() != n {
                    return err(
                        t.line,
                        t.col,
                        format!(
                            "`pre` needs one function per argument: {n}, not {}",
                            v.len()
                        ),
                    );
                }
                Some(v)
            }
            None => None,
        };
        mk(
            Ek::Call {
                name,
                args,
                act,
                pre,
            },
            nt.line,
            nt.col,
        )
    }

    fn func_name(&mut self) -> Result<String, ExprError> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Ident(s) if ELEMENTWISE.contains(&s.as_str()) => {
                self.bump();
                Ok(s.clone())
            }
            Tok::Ident(s) => {
                let hint = suggest(s, ELEMENTWISE.iter().copied())
                    .map(|x| format!(" (did you mean `{x}`?)"))
                    .unwrap_or_default();
                err(
                    t.line,
                    t.col,
                    format!("`{s}` is not an elementwise function{hint}"),
                )
            }
            _ => self.unexpected("an elementwise function such as `tanh`"),
        }
    }
}

fn check_name(s: &str, line: usize, col: usize) -> Result<(), ExprError> {
    if KEYWORDS.contains(&s) {
        return err(
            line,
            col,
            format!("`{s}` is a keyword and cannot name a node"),
        );
    }
    if FUNCTIONS.contains(&s) {
        return err(
            line,
            col,
            format!("`{s}` is a function and cannot name a node"),
        );
    }
    Ok(())
}

fn check_depth(d: usize, line: usize, col: usize) -> Result<(), ExprError> {
    if d > MAX_DEPTH {
        return err(
            line,
            col,
            format!("the expression is nested too deeply (more than {MAX_DEPTH} levels)"),
        );
    }
    Ok(())
}

fn mk(kind: Ek, line: usize, col: usize) -> Result<Ex, ExprError> {
    let below = match &kind {
        Ek::Lit(_) | Ek::Name(_) => 0,
        Ek::Neg(a) => a.depth,
        Ek::Add(v) => v.iter().map(|e| e.depth).max().unwrap_or(0),
        Ek::Bin(_, a, b) => a.depth.max(b.depth),
        Ek::Call { args, .. } => args.iter().map(|e| e.depth).max().unwrap_or(0),
    };
    check_depth(below + 1, line, col)?;
    Ok(Ex {
        kind,
        line,
        col,
        depth: below + 1,
    })
}

fn bin(c: char, a: Ex, b: Ex, op: &Token) -> Result<Ex, ExprError> {
    mk(Ek::Bin(c, Box::new(a), Box::new(b)), op.line, op.col)
}

fn call(name: &str, args: Vec<Ex>, op: &Token) -> Result<Ex, ExprError> {
    mk(
        Ek::Call {
            name: name.into(),
            args,
            act: None,
            pre: None,
        },
        op.line,
        op.col,
    )
}

fn collapse(mut terms: Vec<Ex>) -> Result<Ex, ExprError> {
    if terms.len() == 1 {
        if let Some(t) = terms.pop() {
            return Ok(t);
        }
    }
    let (line, col) = terms.first().map(|t| (t.line, t.col)).unwrap_or((1, 1));
    mk(Ek::Add(terms), line, col)
}

/// The closest candidate within a small edit distance, if any. Case is ignored for ASCII
/// letters (`char::to_ascii_lowercase`: Unicode case folding would link core's 11 KB case
/// tables into the wasm; another case of a non-ASCII letter counts as one edit).
fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = |s: &str| -> Vec<char> { s.chars().map(|c| c.to_ascii_lowercase()).collect() };
    let w = lower(word);
    if w.len() > 64 {
        return None;
    }
    let max = if w.len() <= 3 { 1 } else { 2 };
    candidates
        .filter(|c| c.chars().count() <= 64)
        .map(|c| (edit_distance(&w, &lower(c)), c))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

// ---------------------------------------------------------------------------------------------
// Lowering: syntax tree → graph file

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Leaf(&'static str),
    Computed,
}

struct Builder {
    nodes: Vec<NodeSpec>,
    /// Every id in use or reserved (all user names, from the first pass).
    taken: HashSet<String>,
    counters: HashMap<String, usize>,
    /// Names defined so far: kind, position, index in `nodes`.
    defined: HashMap<String, (Kind, Pos, usize)>,
    /// Every user name with the position of its definition (from the first pass).
    declared: HashMap<String, Pos>,
}

impl Builder {
    fn fresh(&mut self, base: &str) -> String {
        let n = self.counters.entry(base.to_string()).or_insert(0);
        loop {
            *n += 1;
            let id = format!("{base}{n}");
            if !self.taken.contains(&id) {
                self.taken.insert(id.clone());
                return id;
            }
        }
    }

    fn push(&mut self, node: NodeSpec) -> String {
        let id = node.id.clone();
        self.nodes.push(node);
        id
    }

    fn constant(&mut self, v: JsonValue) -> String {
        let id = self.fresh("c");
        self.push(NodeSpec {
            id,
            op: "input".into(),
            value: Some(v),
            parents: vec![],
            act: None,
            pre: None,
            variance: None,
        })
    }

    fn computed(
        &mut self,
        op: &str,
        parents: Vec<String>,
        name: Option<&str>,
        act: Option<String>,
        pre: Option<Vec<String>>,
    ) -> String {
        let id = match name {
            Some(n) => n.to_string(),
            None => self.fresh(op),
        };
        self.push(NodeSpec {
            id,
            op: op.into(),
            value: None,
            parents,
            act,
            pre,
            variance: None,
        })
    }

    /// Lowers `e`; the node its top-level operation makes gets the id `name` if given.
    fn lower(&mut self, e: &Ex, name: Option<&str>) -> Result<String, ExprError> {
        match &e.kind {
            Ek::Lit(_) | Ek::Name(_) | Ek::Neg(_) if name.is_some() && constant_of(e).is_some() => {
                let c = self.lower(e, None)?;
                Ok(self.computed("identity", vec![c], name, None, None))
            }
            Ek::Lit(v) => Ok(self.constant(v.clone())),
            Ek::Name(n) => {
                let id = self.resolve(n, e.line, e.col)?;
                match name {
                    Some(_) => Ok(self.computed("identity", vec![id], name, None, None)),
                    None => Ok(id),
                }
            }
            Ek::Neg(inner) => {
                if let Some(v) = constant_of(e) {
                    return Ok(self.constant(v));
                }
                let c = self.constant(JsonValue::Scalar(-1.0));
                let x = self.lower(inner, None)?;
                Ok(self.computed("mul", vec![c, x], name, None, None))
            }
            Ek::Add(terms) => {
                let mut ps = Vec::with_capacity(terms.len());
                for t in terms {
                    ps.push(self.lower(t, None)?);
                }
                Ok(self.computed("add", ps, name, None, None))
            }
            Ek::Bin('/', a, b) => {
                let Some(d) = constant_of(b) else {
                    return err(
                        e.line,
                        e.col,
                        "division by a node is not supported (the graph format has no division): divide only by a number, e.g. `x / 2`",
                    );
                };
                let recip = match d {
                    JsonValue::Scalar(x) => (x != 0.0).then(|| JsonValue::Scalar(1.0 / x)),
                    JsonValue::Vector(v) => v
                        .iter()
                        .all(|x| *x != 0.0)
                        .then(|| JsonValue::Vector(v.iter().map(|x| 1.0 / x).collect())),
                    JsonValue::Matrix(m) => m.iter().flatten().all(|x| *x != 0.0).then(|| {
                        JsonValue::Matrix(
                            m.iter()
                                .map(|r| r.iter().map(|x| 1.0 / x).collect())
                                .collect(),
                        )
                    }),
                };
                let Some(recip) = recip.filter(all_finite) else {
                    return err(e.line, e.col, "division by zero (or by a number too small)");
                };
                let x = self.lower(a, None)?;
                let c = self.constant(recip);
                Ok(self.computed("mul", vec![x, c], name, None, None))
            }
            Ek::Bin(op, a, b) => {
                let op = match op {
                    '-' => "sub",
                    '*' => "mul",
                    _ => "matmul",
                };
                let x = self.lower(a, None)?;
                let y = self.lower(b, None)?;
                Ok(self.computed(op, vec![x, y], name, None, None))
            }
            Ek::Call {
                name: f,
                args,
                act,
                pre,
            } => {
                let mut ps = Vec::with_capacity(args.len());
                for a in args {
                    ps.push(self.lower(a, None)?);
                }
                Ok(self.computed(f, ps, name, act.clone(), pre.clone()))
            }
        }
    }

    fn resolve(&self, n: &str, line: usize, col: usize) -> Result<String, ExprError> {
        if self.defined.contains_key(n) {
            return Ok(n.to_string());
        }
        if let Some(p) = self.declared.get(n) {
            return err(
                line,
                col,
                format!(
                    "`{n}` is used before it is defined (on line {}): move its definition above",
                    p.line
                ),
            );
        }
        if FUNCTIONS.contains(&n) {
            return err(
                line,
                col,
                format!("`{n}` is a function: call it, e.g. `{n}(x)`"),
            );
        }
        let hint = suggest(n, self.defined.keys().map(|s| s.as_str()))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_else(|| {
                format!(" (declare it with `input {n} = …` or `param {n} = …`, or assign it)")
            });
        err(line, col, format!("unknown name `{n}`{hint}"))
    }
}

fn all_finite(v: &JsonValue) -> bool {
    match v {
        JsonValue::Scalar(x) => x.is_finite(),
        JsonValue::Vector(v) => v.iter().all(|x| x.is_finite()),
        JsonValue::Matrix(m) => m.iter().flatten().all(|x| x.is_finite()),
    }
}

/// The value of a literal, or of the negation of one (`-2`, `-[1, 2]`).
fn constant_of(e: &Ex) -> Option<JsonValue> {
    match &e.kind {
        Ek::Lit(v) => Some(v.clone()),
        Ek::Neg(inner) => constant_of(inner).map(|v| match v {
            JsonValue::Scalar(x) => JsonValue::Scalar(-x),
            JsonValue::Vector(v) => JsonValue::Vector(v.iter().map(|x| -x).collect()),
            JsonValue::Matrix(m) => {
                JsonValue::Matrix(m.iter().map(|r| r.iter().map(|x| -x).collect()).collect())
            }
        }),
        _ => None,
    }
}

/// Parses expression text into a graph file (see the module docs for the syntax).
pub fn parse(src: &str) -> Result<GraphFile, ExprError> {
    let toks = lex(src)?;
    let eof = toks.last().map(|t| (t.line, t.col)).unwrap_or((1, 1));
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
    };
    let stmts = p.program()?;

    // First pass: every user name, for duplicate checks and id generation.
    let mut declared: HashMap<String, Pos> = HashMap::new();
    for s in &stmts {
        let names: Vec<(&String, &Pos)> = match s {
            Stmt::Leaf { items, .. } => items.iter().map(|(n, p, _)| (n, p)).collect(),
            Stmt::Assign { name, pos, .. } => vec![(name, pos)],
            _ => vec![],
        };
        for (n, pos) in names {
            if let Some(first) = declared.get(n) {
                return err(
                    pos.line,
                    pos.col,
                    format!(
                        "`{n}` is already defined on line {}: each name is defined once",
                        first.line
                    ),
                );
            }
            declared.insert(n.clone(), pos.clone());
        }
    }

    let mut b = Builder {
        nodes: Vec::new(),
        taken: declared.keys().cloned().collect(),
        counters: HashMap::new(),
        defined: HashMap::new(),
        declared,
    };
    let mut name = String::new();
    let (mut rate, mut steps, mut record) = (None, None, None);
    let mut target: Option<(String, Pos, JsonValue)> = None;
    let mut variances: Vec<(String, Pos, f64)> = Vec::new();
    for s in stmts {
        match s {
            Stmt::Leaf { op, items } => {
                for (n, pos, v) in items {
                    let idx = b.nodes.len();
                    b.push(NodeSpec {
                        id: n.clone(),
                        op: op.into(),
                        value: Some(v),
                        parents: vec![],
                        act: None,
                        pre: None,
                        variance: None,
                    });
                    b.defined.insert(n, (Kind::Leaf(op), pos, idx));
                }
            }
            Stmt::Assign { name: n, pos, expr } => {
                b.lower(&expr, Some(&n))?;
                let idx = b.nodes.len() - 1;
                b.defined.insert(n, (Kind::Computed, pos, idx));
            }
            Stmt::Target {
                name: n,
                pos,
                value,
            } => {
                if let Some((_, first, _)) = &target {
                    return err(
                        pos.line,
                        pos.col,
                        format!(
                            "a second `target`: the graph has one output, already set on line {}",
                            first.line
                        ),
                    );
                }
                target = Some((n, pos, value));
            }
            Stmt::Variance(items) => variances.extend(items),
            Stmt::Rate(r) => rate = Some(r),
            Stmt::Steps(n) => steps = Some(n),
            Stmt::Record(v) => record = Some(v),
            Stmt::Name(s) => name = s,
        }
    }

    let Some((out, tpos, tval)) = target else {
        return err(
            eof.0,
            eof.1,
            "no `target` statement: add one naming the final node, e.g. `target y = 1`",
        );
    };
    check_defined(&b, &out, &tpos, "target")?;

    // Children: the output must have none; every other computed node must have some.
    let mut users: HashMap<&str, &str> = HashMap::new();
    for n in &b.nodes {
        for p in &n.parents {
            users.entry(p.as_str()).or_insert(n.id.as_str());
        }
    }
    if let Some(u) = users.get(out.as_str()) {
        return err(
            tpos.line,
            tpos.col,
            format!("the target `{out}` is used by `{u}`: the target must be the final node, which nothing else uses"),
        );
    }
    // the first unused definition in the text (`min_by_key`, not a sort: smaller wasm)
    let unused = b
        .defined
        .iter()
        .filter(|(n, (kind, _, _))| {
            *kind == Kind::Computed && **n != out && !users.contains_key(n.as_str())
        })
        .map(|(n, (_, pos, _))| (n, pos))
        .min_by_key(|(_, p)| (p.line, p.col));
    if let Some((n, pos)) = unused {
        return err(
            pos.line,
            pos.col,
            format!("`{n}` is computed but never used and is not the target: every computed node must lead to the target `{out}`"),
        );
    }
    for (n, pos, v) in variances {
        let idx = check_defined(&b, &n, &pos, "variance")?;
        b.nodes[idx].variance = Some(v);
    }
    Ok(GraphFile {
        format: 1,
        name,
        nodes: b.nodes,
        output: out,
        target: tval,
        inference_rate: rate,
        steps,
        record_steps: record,
        variants: None,
        zil: None,
    })
}

fn check_defined(b: &Builder, n: &str, pos: &Pos, what: &str) -> Result<usize, ExprError> {
    match b.defined.get(n) {
        Some((Kind::Computed, _, idx)) => Ok(*idx),
        Some((Kind::Leaf(op), _, _)) => err(
            pos.line,
            pos.col,
            format!(
                "`{what}` needs a computed node, but `{n}` is an {op}",
                op = if *op == "input" { "input" } else { "param" }
            ),
        ),
        None => {
            let computed = b
                .defined
                .iter()
                .filter(|(_, (k, _, _))| *k == Kind::Computed)
                .map(|(s, _)| s.as_str());
            let hint = suggest(n, computed)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            err(
                pos.line,
                pos.col,
                format!("unknown node `{n}` in `{what}`{hint}"),
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Printing: graph file → text

/// Formats a number so that the lexer reads it back exactly (shortest round trip).
fn fmt_num(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && !(1e-5..1e16).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn fmt_value(v: &JsonValue) -> String {
    let row = |r: &[f64]| {
        let items: Vec<String> = r.iter().map(|x| fmt_num(*x)).collect();
        format!("[{}]", items.join(", "))
    };
    match v {
        JsonValue::Scalar(x) => fmt_num(*x),
        JsonValue::Vector(r) => row(r),
        JsonValue::Matrix(m) => {
            let rows: Vec<String> = m.iter().map(|r| row(r)).collect();
            format!("[{}]", rows.join(", "))
        }
    }
}

fn is_plain_name(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(is_ident_start)
        && cs.all(is_ident_char)
        && !KEYWORDS.contains(&s)
        && !FUNCTIONS.contains(&s)
}

/// Whether an id looks generated by [`parse`] for an intermediate (`mul3`, `tanh1`) or a
/// constant (`c2`): such nodes are printed inline when they are used once.
fn looks_generated(n: &NodeSpec) -> bool {
    let base = if n.op == "input" { "c" } else { n.op.as_str() };
    n.id.strip_prefix(base)
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

struct Printer<'a> {
    by_id: HashMap<&'a str, &'a NodeSpec>,
    inline: HashSet<&'a str>,
}

impl Printer<'_> {
    /// The text of node `id` as an operand, with its precedence (1 `+ -`, 2 `* @`, 3 unary,
    /// 4 `^`, 5 atom).
    fn operand(&self, id: &str, depth: usize) -> Option<(String, u8)> {
        if depth > MAX_DEPTH / 2 {
            return None;
        }
        let n = *self.by_id.get(id)?;
        if !self.inline.contains(id) {
            return Some((id.to_string(), 5));
        }
        if n.op == "input" {
            let v = n.value.as_ref()?;
            let prec = match v {
                JsonValue::Scalar(x) if x.is_sign_negative() => 3,
                _ => 5,
            };
            return Some((fmt_value(v), prec));
        }
        self.op_text(n, false, depth + 1)
    }

    fn wrap(&self, id: &str, min: u8, depth: usize) -> Option<String> {
        let (s, p) = self.operand(id, depth)?;
        Some(if p < min { format!("({s})") } else { s })
    }

    /// The right-hand side for node `n`; `stmt` when it is the whole statement.
    fn op_text(&self, n: &NodeSpec, stmt: bool, depth: usize) -> Option<(String, u8)> {
        let ps = &n.parents;
        let plain = n.act.is_none() && n.pre.is_none();
        let op = n.op.as_str();
        if plain {
            match (op, ps.len()) {
                ("identity", 1) if stmt => return Some((self.wrap(&ps[0], 1, depth)?, 1)),
                ("add", k) if k >= 2 => {
                    let terms: Option<Vec<String>> =
                        ps.iter().map(|p| self.wrap(p, 2, depth)).collect();
                    return Some((terms?.join(" + "), 1));
                }
                ("sub", 2) => {
                    let a = self.wrap(&ps[0], 1, depth)?;
                    let b = self.wrap(&ps[1], 2, depth)?;
                    return Some((format!("{a} - {b}"), 1));
                }
                ("mul" | "matmul", 2) => {
                    let a = self.wrap(&ps[0], 2, depth)?;
                    let b = self.wrap(&ps[1], 3, depth)?;
                    let sym = if op == "mul" { "*" } else { "@" };
                    return Some((format!("{a} {sym} {b}"), 2));
                }
                ("square", 1) => {
                    let a = self.wrap(&ps[0], 4, depth)?;
                    return Some((format!("{a}^2"), 4));
                }
                _ => {}
            }
        }
        if !FUNCTIONS.contains(&op) {
            return None;
        }
        let mut args: Vec<String> = Vec::with_capacity(ps.len() + 2);
        for p in ps {
            args.push(self.wrap(p, 1, depth)?);
        }
        if let Some(a) = &n.act {
            if !ELEMENTWISE.contains(&a.as_str()) {
                return None;
            }
            args.push(format!("act = {a}"));
        }
        if let Some(pre) = &n.pre {
            if pre.len() != ps.len() || pre.iter().any(|f| !ELEMENTWISE.contains(&f.as_str())) {
                return None;
            }
            args.push(format!("pre = [{}]", pre.join(", ")));
        }
        Some((format!("{op}({})", args.join(", ")), 5))
    }
}

/// Prints a graph file as expression text that [`parse`] reads back into the same graph (up to
/// the ids of intermediate nodes and constants, which are printed inline). Best effort: `None`
/// when the file cannot be written in the language (ids that are not plain names, unknown ops,
/// a cycle, a missing parent). The keys `variants` and `zil` are not represented.
pub fn to_text(f: &GraphFile) -> Option<String> {
    let mut by_id: HashMap<&str, &NodeSpec> = HashMap::new();
    for n in &f.nodes {
        if !is_plain_name(&n.id) || by_id.insert(n.id.as_str(), n).is_some() {
            return None;
        }
    }
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for n in &f.nodes {
        for p in &n.parents {
            by_id.get(p.as_str())?;
            *uses.entry(p.as_str()).or_insert(0) += 1;
        }
    }
    let out = by_id.get(f.output.as_str())?;
    if matches!(out.op.as_str(), "input" | "param") || uses.contains_key(out.id.as_str()) {
        return None;
    }
    let inline: HashSet<&str> = f
        .nodes
        .iter()
        .filter(|n| {
            n.id != f.output
                && uses.get(n.id.as_str()) == Some(&1)
                && n.variance.is_none()
                && looks_generated(n)
        })
        .map(|n| n.id.as_str())
        .collect();

    // Topological order, stable in file order.
    let mut done: HashSet<&str> = HashSet::new();
    let mut order: Vec<&NodeSpec> = Vec::with_capacity(f.nodes.len());
    while order.len() < f.nodes.len() {
        let next = f.nodes.iter().find(|n| {
            !done.contains(n.id.as_str()) && n.parents.iter().all(|p| done.contains(p.as_str()))
        })?;
        done.insert(next.id.as_str());
        order.push(next);
    }

    let pr = Printer { by_id, inline };
    let mut lines: Vec<String> = Vec::new();
    if !f.name.is_empty() {
        let esc = f
            .name
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        lines.push(format!("name = \"{esc}\""));
    }
    for kind in ["input", "param"] {
        let items: Vec<String> = order
            .iter()
            .filter(|n| n.op == kind && !pr.inline.contains(n.id.as_str()))
            .map(|n| Some(format!("{} = {}", n.id, fmt_value(n.value.as_ref()?))))
            .collect::<Option<_>>()?;
        if items.is_empty() {
            continue;
        }
        let one = format!("{kind} {}", items.join(", "));
        if one.chars().count() <= 72 {
            lines.push(one);
        } else {
            lines.extend(items.iter().map(|s| format!("{kind} {s}")));
        }
    }
    for n in &order {
        if matches!(n.op.as_str(), "input" | "param") {
            if n.value.is_none() || !n.parents.is_empty() {
                return None;
            }
            continue;
        }
        if pr.inline.contains(n.id.as_str()) {
            continue;
        }
        let (rhs, _) = pr.op_text(n, true, 0)?;
        lines.push(format!("{} = {rhs}", n.id));
    }
    lines.push(format!("target {} = {}", f.output, fmt_value(&f.target)));
    let vars: Vec<String> = order
        .iter()
        .filter_map(|n| n.variance.map(|v| format!("{} = {}", n.id, fmt_num(v))))
        .collect();
    if !vars.is_empty() {
        lines.push(format!("variance {}", vars.join(", ")));
    }
    if let Some(r) = f.inference_rate {
        lines.push(format!("rate = {}", fmt_num(r)));
    }
    if let Some(s) = f.steps {
        lines.push(format!("steps = {s}"));
    }
    if let Some(r) = &f.record_steps {
        let v: Vec<String> = r.iter().map(|k| k.to_string()).collect();
        lines.push(format!("record = [{}]", v.join(", ")));
    }
    let text = lines.join("\n") + "\n";
    // Only hand out text that reads back.
    parse(&text).ok().map(|_| text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::presets;

    const CHAIN: &str = "# the chain
input x = 0.8
param w1 = 1.5, w2 = -0.9
h = tanh(w1 * x)
y = w2 * h
target y = 0.4
";

    fn preset(key: &str) -> GraphFile {
        presets::get(key).unwrap().graph().unwrap()
    }

    /// The expression tree below `id`, with constant ids (`c1`, …) and generated ids of
    /// intermediates left out: two graphs with equal signatures are the same computation.
    fn sig(f: &GraphFile, id: &str) -> String {
        let n = f.nodes.iter().find(|n| n.id == id).expect("node exists");
        let leaf = n.op == "input" || n.op == "param";
        let label = if leaf && !looks_generated(n) {
            n.id.as_str()
        } else {
            "_"
        };
        let ps: Vec<String> = n.parents.iter().map(|p| sig(f, p)).collect();
        format!(
            "{label}:{}{:?}{:?}{:?}{:?}({})",
            n.op,
            n.value,
            n.act,
            n.pre,
            n.variance,
            ps.join(",")
        )
    }

    fn same_graph(a: &GraphFile, b: &GraphFile) {
        assert_eq!(a.output, b.output);
        assert_eq!(a.target, b.target);
        assert_eq!(a.nodes.len(), b.nodes.len(), "node count");
        assert_eq!(sig(a, &a.output), sig(b, &b.output));
    }

    fn error(src: &str) -> ExprError {
        match parse(src) {
            Ok(f) => panic!("parsed, expected an error: {src:?} → {f:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn chain_example_is_the_chain_vector() {
        let f = parse(CHAIN).unwrap();
        let want = preset("chain");
        same_graph(&f, &want);
        let ids: Vec<&str> = f.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["x", "w1", "w2", "mul1", "h", "y"]);
        assert_eq!(f.format, 1);
        assert_eq!(f.inference_rate, None);

        // With the intermediate named, the nodes are identical.
        let named = CHAIN.replace("h = tanh(w1 * x)", "a = w1 * x\nh = tanh(a)");
        let f = parse(&named).unwrap();
        assert_eq!(f.nodes, want.nodes);
        assert_eq!((f.output, f.target), (want.output, want.target));
    }

    #[test]
    fn paper_graph() {
        let want = preset("paper");
        let src = "input y0 = 5; param th = 2
y1 = th * y0; y2 = sqrt(y1); y3 = y0^2; y4 = tan(y2) + sin(y3)
target y4 = 1";
        let f = parse(src).unwrap();
        same_graph(&f, &want);
        let named = "input y0 = 5; param th = 2
y1 = th * y0; y2 = sqrt(y1); y3 = y0^2
t = tan(y2); s = sin(y3); y4 = t + s
target y4 = 1
rate = 0.1; steps = 500; record = [0, 1, 5, 20, 100, 500]";
        let f = parse(named).unwrap();
        assert_eq!(f.nodes, want.nodes);
        assert_eq!(f.inference_rate, Some(0.1));
        assert_eq!(f.steps, Some(500));
        assert_eq!(f.record_steps, want.record_steps);
    }

    #[test]
    fn other_presets_as_text() {
        let diamond = "input x = 0.6; param w1 = 1.3, w2 = 0.7
a = w1 * x; y = w2 * (sin(a) + tanh(a)); target y = -0.2";
        same_graph(&parse(diamond).unwrap(), &preset("diamond"));
        let skip = "input x = 0.5; param w1 = 2, w2 = -1.5
a = w1 * x; y = w2 * tanh(a) + a; target y = 0.3";
        same_graph(&parse(skip).unwrap(), &preset("skip"));
        let mlp = "input x = [1, -0.5]
param W1 = [[0.5, -0.3],
            [0.8, 0.2],
            [-0.4, 0.6]]
param b1 = [0.1, -0.2, 0.05], W2 = [[0.7, -0.5, 0.3]], b2 = [0.1]
h = linear(W1, x, b1, act = tanh)
y = linear(W2, h, b2)
target y = [0.8]";
        let f = parse(mlp).unwrap();
        assert_eq!(f.nodes, preset("mlp231").nodes);
    }

    #[test]
    fn operators() {
        let f = parse(
            "input x = 2; param a = [1, 2], M = [[1, 0], [0, 1]]
y = sum(-x + a / 4 - 3 * x^2 + M @ a + matmul(M, a) + add(x, x, pre = [sin, cos]))
target y = 0",
        )
        .unwrap();
        let ops: Vec<&str> = f.nodes.iter().map(|n| n.op.as_str()).collect();
        assert_eq!(
            ops,
            [
                "input", "param", "param", "input", "mul", "input", "mul", "add", "input",
                "square", "mul", "sub", "matmul", "matmul", "add", "add", "sum"
            ]
        );
        let by = |id: &str| f.nodes.iter().find(|n| n.id == id).unwrap().clone();
        assert_eq!(by("c1").value, Some(JsonValue::Scalar(-1.0)));
        assert_eq!(by("c2").value, Some(JsonValue::Scalar(0.25)));
        assert_eq!(by("mul2").parents, ["a", "c2"]);
        assert_eq!(by("add1").parents, ["mul1", "mul2"]);
        assert_eq!(by("sub1").parents, ["add1", "mul3"]);
        assert_eq!(by("add3").parents, ["sub1", "matmul1", "matmul2", "add2"]);
        assert_eq!(by("add2").pre, Some(vec!["sin".into(), "cos".into()]));

        // Negative numbers are constants; a bare name or number makes an identity node.
        let f = parse("input x = 1; n = -2 * x; y = n; target y = 0").unwrap();
        assert_eq!(f.nodes[1].value, Some(JsonValue::Scalar(-2.0)));
        assert_eq!(f.nodes[3].op, "identity");
        assert_eq!(f.nodes[3].parents, ["n"]);
        // Generated ids avoid user names, even ones defined later.
        let f = parse("input x = 1; mul2 = x * 2 * x; y = mul2 * 1; target y = 0").unwrap();
        let ids: Vec<&str> = f.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["x", "c1", "mul1", "mul2", "c2", "y"]);
        // Variance, name, unicode names.
        let f =
            parse("name = \"a \\\"b\\\"\"\ninput θ = 1\ny = sin(θ)\nvariance y = 2\ntarget y = 0")
                .unwrap();
        assert_eq!(f.name, "a \"b\"");
        assert_eq!(f.nodes[1].variance, Some(2.0));
        // Precedence: -x^2 is -(x^2); a - b - c is (a - b) - c.
        let f = parse("input x = 1; y = -x^2 - x - x; target y = 0").unwrap();
        assert_eq!(
            sig(&f, "y"),
            sig(
                &parse("input x = 1; y = ((-1 * square(x)) - x) - x; target y = 0").unwrap(),
                "y"
            )
        );
    }

    #[test]
    fn errors_say_where() {
        let cases: &[(&str, usize, usize, &str)] = &[
            (
                "input x = 1\nparam w = 2\ny = tanhh(w * x)\ntarget y = 1",
                3,
                5,
                "unknown function `tanhh` (did you mean `tanh`?)",
            ),
            (
                "input x = 1\ny = w * x\ntarget y = 1",
                2,
                5,
                "unknown name `w`",
            ),
            (
                "input x = 1\ny = sin(xx)\ntarget y = 1",
                2,
                9,
                "did you mean `x`?",
            ),
            (
                "input x = 1\ny = 2 * h\nh = sin(x)\ntarget y = 1",
                2,
                9,
                "used before it is defined (on line 3)",
            ),
            (
                "input x = 1\nx = sin(x)\ntarget x = 1",
                2,
                1,
                "`x` is already defined on line 1",
            ),
            ("input x = 1\ny = sin(x)", 2, 11, "no `target`"),
            (
                "input x = 1\ny = sin(x) $ 2\ntarget y = 1",
                2,
                12,
                "unexpected character `$`",
            ),
            (
                "input x = 1\ny = sin((x)\ntarget y = 1",
                2,
                8,
                "unclosed `(`",
            ),
            (
                "input x = 1\ny = sin(x))\ntarget y = 1",
                2,
                11,
                "unexpected `)`",
            ),
            ("input x = 1.2.3", 1, 11, "bad number `1.2.3`"),
            ("input x = 1\ny = 2x\ntarget y = 1", 2, 5, "bad number `2x`"),
            (
                "input x = 1\ny = x^3\ntarget y = 1",
                2,
                7,
                "only the power 2",
            ),
            (
                "input x = 1\ny = 1 / x\ntarget y = 1",
                2,
                7,
                "division by a node",
            ),
            (
                "input x = 1\ny = x / 0\ntarget y = 1",
                2,
                7,
                "division by zero",
            ),
            (
                "input x = 1\ny = sin(x)\nz = cos(x)\ntarget y = 1",
                3,
                1,
                "`z` is computed but never used",
            ),
            (
                "input x = 1\ny = sin(x)\nz = cos(y)\ntarget y = 1",
                4,
                8,
                "used by `z`",
            ),
            ("input x = 1\ntarget x = 1", 2, 8, "`x` is an input"),
            (
                "input x = 1\ny = sin(x, x)\ntarget y = 1",
                2,
                5,
                "`sin` takes 1 argument, not 2",
            ),
            (
                "input x = 1\ny = sin(x)\ntarget y = 1\ntarget y = 2",
                4,
                8,
                "a second `target`",
            ),
            (
                "input x = [[1, 2], [3]]\ny = sum(x)\ntarget y = 1",
                1,
                20,
                "same length",
            ),
            ("input sum = 1", 1, 7, "is a function"),
            (
                "input x = 1\ny = x +\ntarget y = 1",
                2,
                8,
                "expected a name, a number or `(`, found the end of the line",
            ),
            (
                "input x = 1\ny = x x\ntarget y = 1",
                2,
                7,
                "expected an operator",
            ),
            (
                "input x = 1\ny x\ntarget y = 1",
                2,
                3,
                "unknown statement `y`",
            ),
            (
                "input x = 1\ny = sin(x)\nrate = -1\ntarget y = 1",
                3,
                8,
                "positive",
            ),
            (
                "input x = 1\ny = sin(x)\nsteps = 1.5\ntarget y = 1",
                3,
                9,
                "whole number",
            ),
            (
                "input x = 1\ny = add(x, x, pre = [sin])\ntarget y = 1",
                2,
                15,
                "one function per argument",
            ),
            (
                "input x = 1\ny = sin(x, act = tanhh)\ntarget y = 1",
                2,
                18,
                "did you mean `tanh`?",
            ),
            ("name = \"oops\ninput x = 1", 1, 8, "unterminated string"),
            (
                "input x = 1\nvariance q = 2\ny = sin(x)\ntarget y = 1",
                2,
                10,
                "unknown node `q`",
            ),
        ];
        for (src, line, col, msg) in cases {
            let e = error(src);
            assert!(
                e.message.contains(msg) && (e.line, e.column) == (*line, *col),
                "{src:?}\n  got:  {e}\n  want: line {line}, column {col}: …{msg}…"
            );
        }
        let e = error("input x = 1\nparam w = 2\ny = tanhh(w * x)\ntarget y = 1");
        assert_eq!(
            e.to_string(),
            "line 3, column 5: unknown function `tanhh` (did you mean `tanh`?)"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        // Half the browser's stack (about 1 MB) is enough for the worst case, even in a debug build.
        std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(deep_nesting)
            .unwrap()
            .join()
            .unwrap();
    }

    fn deep_nesting() {
        for src in [
            format!(
                "input x = 1; y = {}x{}; target y = 0",
                "(".repeat(5000),
                ")".repeat(5000)
            ),
            format!("input x = 1; y = {}x; target y = 0", "-".repeat(5000)),
            format!("input x = 1; y = x{}; target y = 0", "^2".repeat(5000)),
            format!("input x = 1; y = x{}; target y = 0", " * x".repeat(5000)),
            format!(
                "input x = 1; y = {}x{}; target y = 0",
                "sin(".repeat(5000),
                ")".repeat(5000)
            ),
        ] {
            assert!(error(&src).message.contains("nested too deeply"));
        }
        // Long flat sums are fine.
        let src = format!("input x = 1; y = x{}; target y = 0", " + x".repeat(5000));
        assert_eq!(parse(&src).unwrap().nodes[1].parents.len(), 5001);
    }

    #[test]
    fn text_round_trip() {
        for p in presets::all() {
            let f = p.graph().unwrap();
            let text = to_text(&f).unwrap_or_else(|| panic!("{}: no text", p.key));
            let g = parse(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", p.key));
            assert_eq!(g.nodes, f.nodes, "{}\n{text}", p.key);
            assert_eq!(
                (
                    &g.name,
                    &g.output,
                    &g.target,
                    g.inference_rate,
                    g.steps,
                    &g.record_steps
                ),
                (
                    &f.name,
                    &f.output,
                    &f.target,
                    f.inference_rate,
                    f.steps,
                    &f.record_steps
                )
            );
        }
        // Intermediates and constants print inline.
        let f = parse(CHAIN).unwrap();
        assert_eq!(
            to_text(&f).unwrap(),
            "input x = 0.8\nparam w1 = 1.5, w2 = -0.9\nh = tanh(w1 * x)\ny = w2 * h\ntarget y = 0.4\n"
        );
        let src =
            "input x = 2; y = (x - (x - 3)) * -x / 4 + (-2)^2 + (x + x) + 1e-9 * x; target y = 1";
        let f = parse(src).unwrap();
        let text = to_text(&f).unwrap();
        same_graph(&parse(&text).unwrap(), &f);
        // Not representable: ids that are not names.
        let mut g = preset("chain");
        g.nodes[0].id = "x 1".into();
        assert_eq!(to_text(&g), None);
    }

    fn valid(f: &GraphFile) {
        let mut seen: HashSet<&str> = HashSet::new();
        for n in &f.nodes {
            for p in &n.parents {
                assert!(
                    seen.contains(p.as_str()),
                    "parent {p} of {} not before it",
                    n.id
                );
            }
            assert!(seen.insert(&n.id), "duplicate id {}", n.id);
            assert!(n.parents.iter().all(|p| *p != f.output));
        }
        assert!(seen.contains(f.output.as_str()));
    }

    /// Mutates a valid program with a few edits driven by `ops`.
    fn mutate(src: &str, ops: &[(u8, usize, char)]) -> String {
        let mut s: Vec<char> = src.chars().collect();
        for &(kind, at, c) in ops {
            let i = if s.is_empty() { 0 } else { at % (s.len() + 1) };
            match kind % 4 {
                0 => s.insert(i, c),
                1 if i < s.len() => {
                    s.remove(i);
                }
                2 if i < s.len() => s[i] = c,
                _ => {
                    // Duplicate a slice (e.g. a line or a bracket).
                    let j = (i + 1 + at % 7).min(s.len());
                    let piece: Vec<char> = s[i..j].to_vec();
                    for (k, ch) in piece.into_iter().enumerate() {
                        s.insert(j + k, ch);
                    }
                }
            }
        }
        s.into_iter().collect()
    }

    const SEEDS: &[&str] = &[
        CHAIN,
        "input y0 = 5; param th = 2\ny1 = th * y0; y2 = sqrt(y1); y3 = y0^2; y4 = tan(y2) + sin(y3)\ntarget y4 = 1\nrate = 0.1; steps = 50",
        "input x = [1, -0.5]\nparam W1 = [[0.5, -0.3], [0.8, 0.2], [-0.4, 0.6]], b1 = [0.1, -0.2, 0.05]\nparam W2 = [[0.7, -0.5, 0.3]], b2 = [0.1]\nh = linear(W1, x, b1, act = tanh)\ny = W2 @ h + b2 - -x / 2\nvariance h = 2\ntarget y = [0.8]\nname = \"mlp\"",
        "input x = 1; param w = 2\ny = add(sum([1, 2] * w), x**2, pre = [exp, relu]) # comment\ntarget y = 0",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(10_000))]

        #[test]
        fn never_panics_on_any_string(s in "\\PC{0,200}") {
            if let Ok(f) = parse(&s) { valid(&f); }
        }

        #[test]
        fn never_panics_on_language_like_text(
            s in "[a-z0-9xyw_ =+*/^@().,;#\\[\\]\n\"-]{0,120}"
        ) {
            if let Ok(f) = parse(&s) {
                valid(&f);
                if let Some(t) = to_text(&f) { same_graph(&parse(&t).unwrap(), &f); }
            }
        }

        #[test]
        fn mutated_programs_parse_or_fail_cleanly(
            seed in 0..SEEDS.len(),
            ops in proptest::collection::vec(
                (0u8..4, 0usize..10_000, proptest::sample::select(
                    "()[]=+-*/^@,;#\n\"x1.e ".chars().collect::<Vec<_>>())),
                1..4)
        ) {
            let src = mutate(SEEDS[seed], &ops);
            match parse(&src) {
                Ok(f) => {
                    valid(&f);
                    let t = to_text(&f).expect("a parsed graph prints");
                    same_graph(&parse(&t).unwrap(), &f);
                }
                Err(e) => {
                    proptest::prop_assert!(e.line >= 1 && e.column >= 1);
                    proptest::prop_assert!(e.line <= src.lines().count() + 1);
                    proptest::prop_assert!(!e.message.is_empty());
                }
            }
        }
    }
}
