//! A small JSON reader for the two documents the crate reads: graph files
//! (`engine::format::GraphFile::from_json_text`) and postMessage commands
//! (`embed_api::parse_json`).
//!
//! Why not `serde_json::from_str`: in the wasm app, serde's deserializer code for these types
//! (the derive visitors, the buffering for untagged enums, serde_json's reader and its own
//! float parser with its tables) was ≈ 50 KB of the download (issue 4, BENCHMARKS.md). This
//! reader builds a small tree, numbers are parsed by `crate::numparse` (core's grammar, correctly
//! rounded, so every f64 round-trips exactly, as with serde_json's `float_roundtrip`), and the
//! typed readers give serde's messages and positions (line, column of the offending byte).
//! The serde derives stay on the types (serialisation, and the native tests compare this reader
//! with serde_json on every corpus input, preset and reference vector: `tests/json_reader.rs`).

/// A syntax or type error with its place, as serde_json reports it: `line` from 1, `column`
/// the byte column of the offending character from 1 (0 for an empty first line).
#[derive(Clone, Debug, PartialEq)]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

/// A number as serde_json keeps it: non-negative integers, negative integers, or a float.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    U(u64),
    I(i64),
    F(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::U(u) => u as f64,
            Number::I(i) => i as f64,
            Number::F(x) => x,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Num(Number),
    Str(String),
    /// A string with an invalid escape: an error wherever it is read.
    BadStr(JsonError),
    Arr(Vec<Node>),
    /// Members in file order; `usize` is the byte index just after the key.
    Obj(Vec<(String, usize, Node)>),
}

/// A value and its place in the text (byte indices: first character, just after the last).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub start: usize,
    pub end: usize,
}

/// The text being read, for positions in error messages.
#[derive(Clone, Copy)]
pub struct Doc<'a> {
    text: &'a [u8],
}

/// Nesting limit of the tree (serde_json's is 128 for the values it reads, none for values it
/// skips; the typed readers here accept at most 3 levels anyway).
const MAX_DEPTH: usize = 512;

impl<'a> Doc<'a> {
    pub fn new(text: &'a str) -> Doc<'a> {
        Doc {
            text: text.as_bytes(),
        }
    }

    /// serde_json's position of byte index `i`: line from 1, column = bytes since the line's
    /// start (so the 1-based column of byte `i − 1`).
    fn position(&self, i: usize) -> (usize, usize) {
        let i = i.min(self.text.len());
        let start = self.text[..i]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |k| k + 1);
        let line = 1 + self.text[..start].iter().filter(|&&b| b == b'\n').count();
        (line, i - start)
    }

    /// An error at the character at byte index `i` (or at the end).
    pub fn error_at(&self, i: usize, message: impl Into<String>) -> JsonError {
        let (line, column) = self.position(i + 1);
        JsonError {
            line,
            column,
            message: message.into(),
        }
    }

    /// An error just after byte index `i` (after the last character read).
    pub fn error_after(&self, i: usize, message: impl Into<String>) -> JsonError {
        let (line, column) = self.position(i);
        JsonError {
            line,
            column,
            message: message.into(),
        }
    }

    /// Parse the whole text as one JSON value.
    pub fn parse(&self) -> Result<Node, JsonError> {
        let mut p = Parser { doc: *self, i: 0 };
        let v = p.value(0)?;
        p.ws();
        if p.i < self.text.len() {
            return Err(self.error_at(p.i, "trailing characters"));
        }
        Ok(v)
    }
}

struct Parser<'a> {
    doc: Doc<'a>,
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.doc.text.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn err(&self, message: &str) -> JsonError {
        if self.i >= self.doc.text.len() {
            self.doc.error_after(self.i, eof_message(message))
        } else {
            self.doc.error_at(self.i, message)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, JsonError> {
        self.ws();
        let start = self.i;
        let value = match self.peek() {
            None => return Err(self.err("EOF while parsing a value")),
            Some(b'n') => self.word("null", Value::Null)?,
            Some(b't') => self.word("true", Value::Bool(true))?,
            Some(b'f') => self.word("false", Value::Bool(false))?,
            Some(b'"') => match self.string()? {
                (s, None) => Value::Str(s),
                (_, Some(e)) => Value::BadStr(e),
            },
            Some(b'-' | b'0'..=b'9') => Value::Num(self.number()?),
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("recursion limit exceeded"));
                }
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.peek() {
                            Some(b',') => {
                                self.i += 1;
                                self.ws();
                                if self.peek() == Some(b']') {
                                    return Err(self.err("trailing comma"));
                                }
                            }
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(self.err("expected `,` or `]`")),
                        }
                    }
                }
                Value::Arr(items)
            }
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("recursion limit exceeded"));
                }
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        match self.peek() {
                            Some(b'"') => {}
                            None => return Err(self.err("EOF while parsing an object")),
                            _ => return Err(self.err("key must be a string")),
                        }
                        let key = match self.string()? {
                            (k, None) => k,
                            (_, Some(e)) => return Err(e),
                        };
                        let key_end = self.i;
                        self.ws();
                        if self.peek() != Some(b':') {
                            return Err(self.err("expected `:`"));
                        }
                        self.i += 1;
                        let v = self.value(depth + 1)?;
                        members.push((key, key_end, v));
                        self.ws();
                        match self.peek() {
                            Some(b',') => {
                                self.i += 1;
                                self.ws();
                                if self.peek() == Some(b'}') {
                                    return Err(self.err("trailing comma"));
                                }
                            }
                            Some(b'}') => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(self.err("expected `,` or `}`")),
                        }
                    }
                }
                Value::Obj(members)
            }
            Some(_) => return Err(self.err("expected value")),
        };
        Ok(Node {
            value,
            start,
            end: self.i,
        })
    }

    fn word(&mut self, w: &str, v: Value) -> Result<Value, JsonError> {
        for &b in w.as_bytes() {
            match self.peek() {
                Some(c) if c == b => self.i += 1,
                None => return Err(self.err("EOF while parsing a value")),
                Some(_) => return Err(self.err("expected ident")),
            }
        }
        Ok(v)
    }

    fn hex4(&mut self) -> Result<u16, JsonError> {
        let mut n = 0u16;
        for _ in 0..4 {
            let d = match self.peek() {
                None => return Err(self.err("EOF while parsing a string")),
                Some(c) => (c as char).to_digit(16),
            };
            let Some(d) = d else {
                return Err(self.err("invalid escape"));
            };
            n = n * 16 + d as u16;
            self.i += 1;
        }
        Ok(n)
    }

    /// A string, and the first invalid `\u` escape in it (a lone surrogate): serde_json
    /// refuses it only where the string is read, not in the value of a key it skips.
    fn string(&mut self) -> Result<(String, Option<JsonError>), JsonError> {
        self.i += 1; // the opening quote
        let mut out = Vec::new();
        let mut bad: Option<JsonError> = None;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("EOF while parsing a string"));
            };
            match c {
                b'"' => {
                    self.i += 1;
                    break;
                }
                b'\\' => {
                    self.i += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.err("EOF while parsing a string"));
                    };
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => return Err(self.err("invalid escape")),
                    };
                    self.i += 1;
                    if let Some(b) = simple {
                        out.push(b);
                        continue;
                    }
                    let hi = self.hex4()?;
                    let ch = match hi {
                        0xD800..=0xDBFF => {
                            if self.peek() != Some(b'\\')
                                || self.doc.text.get(self.i + 1) != Some(&b'u')
                            {
                                let e = self.err("unexpected end of hex escape");
                                bad.get_or_insert(e);
                                None
                            } else {
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..=0xDFFF).contains(&lo) {
                                    char::from_u32(
                                        0x10000
                                            + ((hi as u32 - 0xD800) << 10)
                                            + (lo as u32 - 0xDC00),
                                    )
                                } else {
                                    let e = self.err("lone leading surrogate in hex escape");
                                    bad.get_or_insert(e);
                                    None
                                }
                            }
                        }
                        0xDC00..=0xDFFF => {
                            let e = self.err("lone leading surrogate in hex escape");
                            bad.get_or_insert(e);
                            None
                        }
                        _ => char::from_u32(hi as u32),
                    };
                    let ch = ch.unwrap_or(char::REPLACEMENT_CHARACTER);
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => {
                    return Err(self
                        .err("control character (\\u0000-\\u001F) found while parsing a string"))
                }
                _ => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        // the input is a `str` and escapes write whole characters
        Ok((String::from_utf8(out).unwrap_or_default(), bad))
    }

    fn number(&mut self) -> Result<Number, JsonError> {
        let start = self.i;
        let neg = self.peek() == Some(b'-');
        if neg {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while let Some(b'0'..=b'9') = p.peek() {
                p.i += 1;
            }
            p.i - s
        };
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.err("invalid number"));
                }
            }
            Some(b'1'..=b'9') => {
                digits(self);
            }
            None => return Err(self.err("EOF while parsing a value")),
            Some(_) => return Err(self.err("invalid number")),
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            float = true;
            self.i += 1;
            if digits(self) == 0 {
                return Err(self.err(if self.peek().is_none() {
                    "EOF while parsing a value"
                } else {
                    "invalid number"
                }));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            float = true;
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.err(if self.peek().is_none() {
                    "EOF while parsing a value"
                } else {
                    "invalid number"
                }));
            }
        }
        // the token is ASCII
        let text = std::str::from_utf8(&self.doc.text[start..self.i]).unwrap_or("");
        if !float {
            if neg {
                if let Ok(i) = text.parse::<i64>() {
                    // serde_json reads `-0` as the float -0.0
                    return Ok(if i == 0 {
                        Number::F(-0.0)
                    } else {
                        Number::I(i)
                    });
                }
            } else if let Ok(u) = text.parse::<u64>() {
                return Ok(Number::U(u));
            }
        }
        // out of range (±inf) is an error only where the number is read, as with serde_json
        // (which skips unknown keys' values unchecked)
        Ok(Number::F(
            crate::numparse::parse_f64(text).unwrap_or(f64::NAN),
        ))
    }
}

fn eof_message(message: &str) -> &str {
    if message.starts_with("EOF") || message == "recursion limit exceeded" {
        message
    } else if message == "expected `,` or `]`" {
        "EOF while parsing a list"
    } else if message == "expected `,` or `}`" || message == "expected `:`" {
        "EOF while parsing an object"
    } else {
        "EOF while parsing a value"
    }
}

// ---- typed reading with serde's messages -------------------------------------------------

/// How serde names a value in "invalid type: …" messages.
pub fn unexpected(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Num(Number::U(u)) => format!("integer `{u}`"),
        Value::Num(Number::I(i)) => format!("integer `{i}`"),
        Value::Num(Number::F(x)) => {
            let s = format!("{x}");
            if s.contains('.') || s.contains('e') {
                format!("floating point `{s}`")
            } else {
                format!("floating point `{s}.0`")
            }
        }
        Value::Str(s) => format!("string {s:?}"),
        Value::BadStr(e) => e.message.clone(),
        Value::Arr(_) => "sequence".into(),
        Value::Obj(_) => "map".into(),
    }
}

impl Doc<'_> {
    /// "invalid type: …, expected …" at the start of `n`.
    pub fn invalid_type(&self, n: &Node, expected: &str) -> JsonError {
        if let Value::BadStr(e) = &n.value {
            return e.clone();
        }
        self.error_at(
            n.start,
            format!(
                "invalid type: {}, expected {expected}",
                unexpected(&n.value)
            ),
        )
    }

    pub fn f64(&self, n: &Node) -> Result<f64, JsonError> {
        match self.number(n)? {
            Some(x) => Ok(x),
            None => Err(self.invalid_type(n, "f64")),
        }
    }

    /// `Some(x)` for a number, `None` for any other value; a number beyond the f64 range is
    /// serde_json's "number out of range".
    pub fn number(&self, n: &Node) -> Result<Option<f64>, JsonError> {
        match n.value {
            Value::Num(x) => {
                let x = x.as_f64();
                if x.is_finite() {
                    Ok(Some(x))
                } else {
                    Err(self.error_after(n.end, "number out of range"))
                }
            }
            _ => Ok(None),
        }
    }

    /// An unsigned integer no larger than `max` (`what` is `u32` or `usize`).
    pub fn uint(&self, n: &Node, max: u64, what: &str) -> Result<u64, JsonError> {
        match n.value {
            Value::Num(Number::U(u)) if u <= max => Ok(u),
            Value::Num(Number::F(x)) if !x.is_finite() => {
                Err(self.error_after(n.end, "number out of range"))
            }
            Value::Num(Number::U(u)) => Err(self.error_at(
                n.start,
                format!("invalid value: integer `{u}`, expected {what}"),
            )),
            Value::Num(Number::I(i)) => Err(self.error_at(
                n.start,
                format!("invalid value: integer `{i}`, expected {what}"),
            )),
            _ => Err(self.invalid_type(n, what)),
        }
    }

    pub fn string(&self, n: &Node) -> Result<String, JsonError> {
        match &n.value {
            Value::Str(s) => Ok(s.clone()),
            _ => Err(self.invalid_type(n, "a string")),
        }
    }

    pub fn bool(&self, n: &Node) -> Result<bool, JsonError> {
        match n.value {
            Value::Bool(b) => Ok(b),
            _ => Err(self.invalid_type(n, "a boolean")),
        }
    }

    pub fn list<T>(
        &self,
        n: &Node,
        item: impl Fn(&Node) -> Result<T, JsonError>,
    ) -> Result<Vec<T>, JsonError> {
        match &n.value {
            Value::Arr(items) => items.iter().map(item).collect(),
            _ => Err(self.invalid_type(n, "a sequence")),
        }
    }

    /// `null` reads as `None` (serde's `Option`).
    pub fn option<T>(
        &self,
        n: Option<&Node>,
        read: impl Fn(&Node) -> Result<T, JsonError>,
    ) -> Result<Option<T>, JsonError> {
        match n {
            None => Ok(None),
            Some(Node {
                value: Value::Null, ..
            }) => Ok(None),
            Some(n) => read(n).map(Some),
        }
    }

    /// The members of an object `n` read as a struct with the given field names: one slot per
    /// field (serde: a duplicate is an error; unknown keys are an error when `deny_unknown`).
    pub fn fields<'n>(
        &self,
        n: &'n Node,
        names: &[&str],
        deny_unknown: bool,
        expected: &str,
    ) -> Result<Vec<Option<&'n Node>>, JsonError> {
        let Value::Obj(members) = &n.value else {
            return Err(self.invalid_type(n, expected));
        };
        let mut slots = vec![None; names.len()];
        for (key, key_end, v) in members {
            match names.iter().position(|k| k == key) {
                Some(k) => {
                    if slots[k].is_some() {
                        return Err(self.error_after(*key_end, format!("duplicate field `{key}`")));
                    }
                    slots[k] = Some(v);
                }
                None if deny_unknown => {
                    let list: Vec<String> = names.iter().map(|k| format!("`{k}`")).collect();
                    return Err(self.error_after(
                        *key_end,
                        format!("unknown field `{key}`, expected one of {}", list.join(", ")),
                    ));
                }
                None => {}
            }
        }
        Ok(slots)
    }

    /// What serde checks when it buffers a whole value (untagged and internally tagged enums):
    /// every number in range, nesting within serde_json's limit.
    pub fn buffered(&self, n: &Node) -> Result<(), JsonError> {
        self.buffered_at(n, 0)
    }

    fn buffered_at(&self, n: &Node, depth: usize) -> Result<(), JsonError> {
        match &n.value {
            Value::Num(_) => self.number(n).map(|_| ()),
            Value::BadStr(e) => Err(e.clone()),
            Value::Arr(_) | Value::Obj(_) if depth >= 128 => {
                Err(self.error_at(n.start, "recursion limit exceeded"))
            }
            Value::Arr(items) => items
                .iter()
                .try_for_each(|x| self.buffered_at(x, depth + 1)),
            Value::Obj(members) => members
                .iter()
                .try_for_each(|(_, _, x)| self.buffered_at(x, depth + 1)),
            _ => Ok(()),
        }
    }

    /// serde's "missing field" error, at the end of the object.
    pub fn missing(&self, n: &Node, key: &str) -> JsonError {
        self.error_after(n.end, format!("missing field `{key}`"))
    }
}
