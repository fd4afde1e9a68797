//! Why a list was rejected, and where: every message names the file, the line and the
//! field (`endpoints.toml:42: endpoint[3].port: ...`).

use std::fmt;
use std::path::PathBuf;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Why an endpoint list was rejected. Each message starts with `{origin}:{line}:`.
#[derive(Debug, thiserror::Error)]
pub enum EndpointsError {
    #[error("{}: cannot read the endpoint list: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not TOML, or not the schema: a syntax error, an unknown key, a wrong value type.
    #[error("{origin}:{line}:{column}: {}{message}", FieldPrefix(.field.as_deref()))]
    Syntax {
        origin: String,
        line: usize,
        column: usize,
        /// The field path, when the document parses as TOML.
        field: Option<String>,
        message: String,
    },
    /// A value of the right type that is not acceptable.
    #[error("{origin}:{line}: {field}: {message}")]
    Invalid {
        origin: String,
        line: usize,
        field: String,
        message: String,
    },
    #[error(
        "{origin}:{line}: {field}: {host} port {port} is listed twice (first at line {first_line})"
    )]
    Duplicate {
        origin: String,
        line: usize,
        field: String,
        host: String,
        port: u16,
        first_line: usize,
    },
    #[error("{origin}: no endpoints: the list needs at least one [[endpoint]] table")]
    Empty { origin: String },
}

/// Renders `field: ` or nothing.
struct FieldPrefix<'a>(Option<&'a str>);

impl fmt::Display for FieldPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(field) => write!(f, "{field}: "),
            None => Ok(()),
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset`.
pub(super) fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |nl| nl + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = match text.get(line_start..offset) {
        Some(s) => s.chars().count(),
        None => offset - line_start,
    };
    (line, column + 1)
}

pub(super) fn syntax_error(text: &str, origin: &str, error: &toml::de::Error) -> EndpointsError {
    let offset = error.span().map_or(0, |span| span.start);
    let (line, column) = position(text, offset);
    EndpointsError::Syntax {
        origin: origin.to_owned(),
        line,
        column,
        field: field_path(text, offset),
        message: error.message().to_owned(),
    }
}

/// The path (`endpoint[3].port`) of the key or value at byte `offset`, when the text is
/// valid TOML (a schema error, not a syntax error).
fn field_path(text: &str, offset: usize) -> Option<String> {
    let doc = DeTable::parse(text).ok()?;
    path_in_table(doc.get_ref(), offset)
}

fn path_in_table(table: &DeTable<'_>, offset: usize) -> Option<String> {
    table.iter().find_map(|(key, value)| {
        let name = key.get_ref();
        if let Some(rest) = path_in_value(value, offset) {
            return Some(format!("{name}{rest}"));
        }
        let here = key.span().contains(&offset) || value.span().contains(&offset);
        here.then(|| name.to_string())
    })
}

/// The rest of the path (`[3].port`, `.port`) below `value`, if `offset` is inside it.
/// Children are searched whatever the parent's span: an `[[endpoint]]` table's span is
/// only its header.
fn path_in_value(value: &Spanned<DeValue<'_>>, offset: usize) -> Option<String> {
    match value.get_ref() {
        DeValue::Table(table) => path_in_table(table, offset).map(|path| format!(".{path}")),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let rest = path_in_value(item, offset);
            let rest = rest.or_else(|| item.span().contains(&offset).then(String::new));
            rest.map(|rest| format!("[{i}]{rest}"))
        }),
        _ => None,
    }
}
