//! Reading CSV tables with errors that name the file, line and column.

use super::error::{Error, Result};

/// One CSV table held in memory with its header, for the small profile files.
#[derive(Debug)]
pub(crate) struct Table {
    file: String,
    header: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

/// One row of a [`Table`], with typed access that reports the file, line and column on error.
pub(crate) struct Row<'a> {
    table: &'a Table,
    line: u64,
    record: &'a csv::StringRecord,
}

impl Table {
    /// Parses `text` (the contents of `file`) as a CSV table with a header line.
    pub(crate) fn parse(file: &str, text: &str) -> Result<Table> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let header = reader
            .headers()
            .map_err(|e| Error::File {
                file: file.into(),
                message: format!("cannot read the header: {e}"),
            })?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                Error::Line {
                    file: file.into(),
                    line,
                    message: format!("malformed CSV row: {e}"),
                }
            })?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push((line, record));
        }
        Ok(Table {
            file: file.into(),
            header,
            rows,
        })
    }

    /// Checks that every column in `required` is in the header.
    pub(crate) fn require(&self, required: &[&str]) -> Result<()> {
        for column in required {
            if !self.header.iter().any(|h| h == column) {
                return Err(Error::File {
                    file: self.file.clone(),
                    message: format!(
                        "missing column `{column}` (header: {})",
                        self.header.join(",")
                    ),
                });
            }
        }
        Ok(())
    }

    /// The rows in file order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(move |(line, record)| Row {
            table: self,
            line: *line,
            record,
        })
    }
}

impl Row<'_> {
    /// An error about `column` of this row.
    pub(crate) fn error(&self, column: &str, message: impl Into<String>) -> Error {
        Error::field(self.table.file.clone(), self.line, column, message)
    }

    /// The raw text of `column` (trimmed); empty when the cell is empty.
    pub(crate) fn text(&self, column: &str) -> Result<&str> {
        let index = self
            .table
            .header
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| self.error(column, "no such column"))?;
        Ok(self.record.get(index).unwrap_or("").trim())
    }

    /// A non-empty string.
    pub(crate) fn string(&self, column: &str) -> Result<String> {
        let text = self.text(column)?;
        if text.is_empty() {
            return Err(self.error(column, "is empty"));
        }
        Ok(text.to_string())
    }

    /// A finite number; `None` when the cell is empty.
    pub(crate) fn optional_f64(&self, column: &str) -> Result<Option<f64>> {
        let text = self.text(column)?;
        if text.is_empty() {
            return Ok(None);
        }
        let value: f64 = text
            .parse()
            .map_err(|_| self.error(column, format!("`{text}` is not a number")))?;
        if !value.is_finite() {
            return Err(self.error(column, format!("`{text}` is not finite")));
        }
        Ok(Some(value))
    }

    /// A finite number that must be present and strictly positive.
    pub(crate) fn positive_f64(&self, column: &str) -> Result<f64> {
        let value = self
            .optional_f64(column)?
            .ok_or_else(|| self.error(column, "is empty"))?;
        if value <= 0.0 {
            return Err(self.error(column, format!("must be positive, got {value}")));
        }
        Ok(value)
    }

    /// A positive whole number.
    pub(crate) fn positive_u64(&self, column: &str) -> Result<u64> {
        let text = self.text(column)?;
        let value: u64 = text
            .parse()
            .map_err(|_| self.error(column, format!("`{text}` is not a whole number")))?;
        if value == 0 {
            return Err(self.error(column, "must be positive, got 0"));
        }
        Ok(value)
    }

    /// `True`/`False` (any case).
    pub(crate) fn boolean(&self, column: &str) -> Result<bool> {
        let text = self.text(column)?;
        match text.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(self.error(column, format!("`{text}` is not True or False"))),
        }
    }
}
