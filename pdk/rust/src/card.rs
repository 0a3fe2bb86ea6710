//! The declarative card document (ABI.md §3 "card"): what a `card` export returns.

use crate::json::Value;

/// Status level of a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Ok,
    Info,
    Warning,
    Error,
    Unknown,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Unknown => "unknown",
        }
    }
}

/// Tone of a badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Neutral,
    Ok,
    Info,
    Warning,
    Error,
}

impl Tone {
    pub fn as_str(self) -> &'static str {
        match self {
            Tone::Neutral => "neutral",
            Tone::Ok => "ok",
            Tone::Info => "info",
            Tone::Warning => "warning",
            Tone::Error => "error",
        }
    }
}

/// A card, built with chained calls:
/// `Card::new("On-call").status(Level::Ok, "quiet").field("Primary", "jane")`.
#[derive(Clone, Debug, Default)]
pub struct Card {
    title: String,
    status: Option<(Level, Option<String>)>,
    summary: Option<String>,
    fields: Vec<Value>,
    tables: Vec<Table>,
    links: Vec<Value>,
    badges: Vec<Value>,
    series: Vec<Series>,
}

/// A table of plain-text cells.
#[derive(Clone, Debug, Default)]
pub struct Table {
    title: Option<String>,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// A time series of `(RFC 3339 time, value)` points.
#[derive(Clone, Debug, Default)]
pub struct Series {
    name: String,
    unit: Option<String>,
    points: Vec<Value>,
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

impl Card {
    pub fn new(title: &str) -> Card {
        Card { title: title.to_string(), ..Card::default() }
    }

    pub fn status(mut self, level: Level, text: &str) -> Card {
        self.status = Some((level, if text.is_empty() { None } else { Some(text.to_string()) }));
        self
    }

    pub fn summary(mut self, text: &str) -> Card {
        self.summary = Some(text.to_string());
        self
    }

    pub fn field(mut self, label: &str, value: &str) -> Card {
        self.fields.push(Value::object(vec![("label", s(label)), ("value", s(value))]));
        self
    }

    /// A field whose value links to `url` (http or https).
    pub fn field_url(mut self, label: &str, value: &str, url: &str) -> Card {
        self.fields.push(Value::object(vec![("label", s(label)), ("value", s(value)), ("url", s(url))]));
        self
    }

    pub fn table(mut self, table: Table) -> Card {
        self.tables.push(table);
        self
    }

    pub fn link(mut self, title: &str, url: &str) -> Card {
        self.links.push(Value::object(vec![("title", s(title)), ("url", s(url))]));
        self
    }

    pub fn badge(mut self, label: &str, tone: Tone) -> Card {
        self.badges.push(Value::object(vec![("label", s(label)), ("tone", s(tone.as_str()))]));
        self
    }

    pub fn series(mut self, series: Series) -> Card {
        self.series.push(series);
        self
    }

    /// The card object (the value of `"card"` in the output document).
    pub fn to_value(&self) -> Value {
        let mut m: Vec<(String, Value)> = vec![("title".into(), s(&self.title))];
        if let Some((level, text)) = &self.status {
            let mut st = vec![("level".to_string(), s(level.as_str()))];
            if let Some(t) = text {
                st.push(("text".into(), s(t)));
            }
            m.push(("status".into(), Value::Object(st)));
        }
        if let Some(sum) = &self.summary {
            m.push(("summary".into(), s(sum)));
        }
        if !self.fields.is_empty() {
            m.push(("fields".into(), Value::Array(self.fields.clone())));
        }
        if !self.tables.is_empty() {
            m.push(("tables".into(), Value::Array(self.tables.iter().map(Table::to_value).collect())));
        }
        if !self.links.is_empty() {
            m.push(("links".into(), Value::Array(self.links.clone())));
        }
        if !self.badges.is_empty() {
            m.push(("badges".into(), Value::Array(self.badges.clone())));
        }
        if !self.series.is_empty() {
            m.push(("series".into(), Value::Array(self.series.iter().map(Series::to_value).collect())));
        }
        Value::Object(m)
    }

    /// The whole output document `{"abi":1,"card":{…}}`.
    pub fn to_document(&self) -> Value {
        Value::object(vec![("abi", Value::from(crate::ABI)), ("card", self.to_value())])
    }
}

impl Table {
    pub fn new(title: &str, columns: &[&str]) -> Table {
        Table {
            title: if title.is_empty() { None } else { Some(title.to_string()) },
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(mut self, cells: &[&str]) -> Table {
        self.rows.push(cells.iter().map(|c| c.to_string()).collect());
        self
    }

    fn to_value(&self) -> Value {
        let mut m = Vec::new();
        if let Some(t) = &self.title {
            m.push(("title".to_string(), s(t)));
        }
        m.push(("columns".into(), Value::Array(self.columns.iter().map(|c| s(c)).collect())));
        let rows = self.rows.iter().map(|r| Value::Array(r.iter().map(|c| s(c)).collect()));
        m.push(("rows".into(), Value::Array(rows.collect())));
        Value::Object(m)
    }
}

impl Series {
    pub fn new(name: &str, unit: &str) -> Series {
        Series {
            name: name.to_string(),
            unit: if unit.is_empty() { None } else { Some(unit.to_string()) },
            points: Vec::new(),
        }
    }

    /// Adds a point at `t` (RFC 3339).
    pub fn point(mut self, t: &str, v: f64) -> Series {
        self.points.push(Value::object(vec![("t", s(t)), ("v", Value::from(v))]));
        self
    }

    fn to_value(&self) -> Value {
        let mut m = vec![("name".to_string(), s(&self.name))];
        if let Some(u) = &self.unit {
            m.push(("unit".into(), s(u)));
        }
        m.push(("points".into(), Value::Array(self.points.clone())));
        Value::Object(m)
    }
}
