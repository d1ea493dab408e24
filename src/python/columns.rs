//! Records (serde structs of plain fields) turned into typed columns, and columns into numpy
//! arrays for a pandas DataFrame.
//!
//! A column's type is the Rust field's: integers become `int64`, floats `float64` (a missing
//! value NaN), booleans `bool`, strings and unit enum variants Python `str`. Columns of
//! `Option` integers or booleans come as `(values, mask)` pairs that the package turns into
//! pandas' nullable `Int64` and `boolean` arrays; a column without any value is `float64` NaN.

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use serde::Serialize;
use serde::ser::{self, Impossible};
use std::fmt;

/// One value of a record's field.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

/// The values of one column so far.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Column {
    /// No value yet: `n` missing ones.
    Empty(usize),
    /// Integers, with a mask of missing ones.
    Int(Vec<i64>, Vec<bool>),
    /// Floats (missing: NaN).
    Float(Vec<f64>),
    /// Booleans, with a mask of missing ones.
    Bool(Vec<bool>, Vec<bool>),
    /// Strings (missing: `None`).
    Text(Vec<Option<String>>),
}

/// A column of a table: its name, values, and whether its field is an `Option`.
#[derive(Debug, Clone, PartialEq)]
struct Named {
    name: &'static str,
    column: Column,
    optional: bool,
}

/// Typed columns filled one record at a time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Columns {
    columns: Vec<Named>,
    rows: usize,
    /// Whether the first record names the columns (none were given).
    discover: bool,
}

/// Why a record does not fit the columns.
#[derive(Debug)]
pub(crate) struct ColumnError(String);

impl fmt::Display for ColumnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ColumnError {}

impl ser::Error for ColumnError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ColumnError(msg.to_string())
    }
}

impl Column {
    fn push(&mut self, cell: Cell, column: &str) -> Result<(), ColumnError> {
        let kind = self.kind();
        match (&mut *self, cell) {
            (Column::Empty(n), Cell::Null) => *n += 1,
            (Column::Empty(n), cell) => {
                let n = *n;
                *self = match cell {
                    Cell::Int(v) => Column::Int(pad(n, 0, v), pad(n, true, false)),
                    Cell::Float(v) => Column::Float(pad(n, f64::NAN, v)),
                    Cell::Bool(v) => Column::Bool(pad(n, false, v), pad(n, true, false)),
                    Cell::Text(v) => Column::Text(pad(n, None, Some(v))),
                    Cell::Null => Column::Empty(n + 1),
                };
            }
            (Column::Int(values, mask), Cell::Int(v)) => {
                values.push(v);
                mask.push(false);
            }
            (Column::Int(values, mask), Cell::Null) => {
                values.push(0);
                mask.push(true);
            }
            (Column::Float(values), Cell::Float(v)) => values.push(v),
            (Column::Float(values), Cell::Null) => values.push(f64::NAN),
            (Column::Bool(values, mask), Cell::Bool(v)) => {
                values.push(v);
                mask.push(false);
            }
            (Column::Bool(values, mask), Cell::Null) => {
                values.push(false);
                mask.push(true);
            }
            (Column::Text(values), Cell::Text(v)) => values.push(Some(v)),
            (Column::Text(values), Cell::Null) => values.push(None),
            (_, cell) => {
                return Err(ColumnError(format!(
                    "column `{column}` holds {kind} values, not {cell:?}"
                )));
            }
        }
        Ok(())
    }

    fn kind(&self) -> &'static str {
        match self {
            Column::Empty(_) => "no",
            Column::Int(..) => "integer",
            Column::Float(_) => "float",
            Column::Bool(..) => "boolean",
            Column::Text(_) => "string",
        }
    }
}

/// `n` copies of `fill` followed by `last`.
fn pad<T: Clone>(n: usize, fill: T, last: T) -> Vec<T> {
    let mut v = vec![fill; n];
    v.push(last);
    v
}

impl Columns {
    /// Empty columns named `names`, in the order the records' fields are serialised; with no
    /// names, the first record's fields name them.
    pub(crate) fn new(names: &[&'static str]) -> Columns {
        Columns {
            discover: names.is_empty(),
            columns: names
                .iter()
                .map(|&name| Named {
                    name,
                    column: Column::Empty(0),
                    optional: false,
                })
                .collect(),
            rows: 0,
        }
    }

    /// Columns of `rows`.
    pub(crate) fn of<'a, T: Serialize + 'a>(
        names: &[&'static str],
        rows: impl IntoIterator<Item = &'a T>,
    ) -> Result<Columns, ColumnError> {
        let mut columns = Columns::new(names);
        for row in rows {
            columns.push(row)?;
        }
        Ok(columns)
    }

    /// Adds one record, whose fields must be the columns, in order.
    pub(crate) fn push<T: Serialize + ?Sized>(&mut self, row: &T) -> Result<(), ColumnError> {
        row.serialize(RowSerializer {
            columns: self,
            field: 0,
        })?;
        self.rows += 1;
        Ok(())
    }

    /// Whole columns of `rows` values each.
    pub(crate) fn from_columns(
        rows: usize,
        columns: Vec<(&'static str, Column)>,
    ) -> Result<Columns, ColumnError> {
        let mut all = Columns {
            columns: Vec::with_capacity(columns.len()),
            rows,
            discover: false,
        };
        for (name, column) in columns {
            all.insert(all.columns.len(), name, column)?;
        }
        Ok(all)
    }

    /// Adds a whole column (one value per record) at position `at`.
    pub(crate) fn insert(
        &mut self,
        at: usize,
        name: &'static str,
        column: Column,
    ) -> Result<(), ColumnError> {
        let len = match &column {
            Column::Empty(n) => *n,
            Column::Int(v, _) => v.len(),
            Column::Float(v) => v.len(),
            Column::Bool(v, _) => v.len(),
            Column::Text(v) => v.len(),
        };
        if len != self.rows || at > self.columns.len() {
            return Err(ColumnError(format!(
                "column `{name}` of {len} values at {at} in {} columns of {} rows",
                self.columns.len(),
                self.rows
            )));
        }
        self.columns.insert(
            at,
            Named {
                name,
                column,
                optional: false,
            },
        );
        Ok(())
    }

    /// The number of columns.
    pub(crate) fn width(&self) -> usize {
        self.columns.len()
    }

    /// The column called `name`.
    #[cfg(test)]
    fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.column)
    }

    /// `{name: array}`: numpy arrays of `int64`, `float64` or `bool`, lists of `str`, and
    /// `(values, mask)` pairs for optional integers and booleans.
    pub(crate) fn into_python(self, py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let dict = PyDict::new(py);
        let rows = self.rows;
        for Named {
            name,
            column,
            optional,
        } in self.columns
        {
            let value: Bound<'_, PyAny> = match column {
                Column::Empty(_) => PyArray1::from_vec(py, vec![f64::NAN; rows]).into_any(),
                Column::Float(values) => PyArray1::from_vec(py, values).into_any(),
                Column::Int(values, mask) => masked(py, values, mask, optional)?,
                Column::Bool(values, mask) => masked(py, values, mask, optional)?,
                Column::Text(values) => PyList::new(py, values)?.into_any(),
            };
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }
}

/// An array, or for an optional field a `(values, mask)` pair.
fn masked<'py, T: numpy::Element>(
    py: Python<'py>,
    values: Vec<T>,
    mask: Vec<bool>,
    optional: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let values = PyArray1::from_vec(py, values);
    if !optional {
        return Ok(values.into_any());
    }
    let mask = PyArray1::from_vec(py, mask);
    Ok(PyTuple::new(py, [values.into_any(), mask.into_any()])?.into_any())
}

/// Serialises one record into the columns.
struct RowSerializer<'a> {
    columns: &'a mut Columns,
    field: usize,
}

impl ser::SerializeStruct for RowSerializer<'_> {
    type Ok = ();
    type Error = ColumnError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ColumnError> {
        let columns = &mut self.columns;
        if columns.discover && columns.rows == 0 && self.field == columns.columns.len() {
            columns.columns.push(Named {
                name: key,
                column: Column::Empty(0),
                optional: false,
            });
        }
        let Some(named) = columns.columns.get_mut(self.field) else {
            return Err(ColumnError(format!("field `{key}` is not a column")));
        };
        if named.name != key {
            return Err(ColumnError(format!(
                "field `{key}` where column `{}` was expected",
                named.name
            )));
        }
        let mut optional = false;
        let cell = value.serialize(CellSerializer {
            optional: &mut optional,
        })?;
        named.optional |= optional;
        named.column.push(cell, key)?;
        self.field += 1;
        Ok(())
    }

    fn end(self) -> Result<(), ColumnError> {
        match self.columns.columns.get(self.field) {
            Some(missing) => Err(ColumnError(format!(
                "the record has no field `{}`",
                missing.name
            ))),
            None => Ok(()),
        }
    }
}

/// Refuses anything but a struct.
fn not_a_record<T>() -> Result<T, ColumnError> {
    Err(ColumnError(
        "a record must be a struct of plain fields".into(),
    ))
}

/// Serializer methods that each answer with the error `$error` gives.
macro_rules! refuse {
    ($error:ident: $($method:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ret, ColumnError> {
            $error()
        })*
    };
}

impl<'a> ser::Serializer for RowSerializer<'a> {
    type Ok = ();
    type Error = ColumnError;
    type SerializeSeq = Impossible<(), ColumnError>;
    type SerializeTuple = Impossible<(), ColumnError>;
    type SerializeTupleStruct = Impossible<(), ColumnError>;
    type SerializeTupleVariant = Impossible<(), ColumnError>;
    type SerializeMap = Impossible<(), ColumnError>;
    type SerializeStruct = RowSerializer<'a>;
    type SerializeStructVariant = Impossible<(), ColumnError>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, ColumnError> {
        Ok(self)
    }

    refuse! {
        not_a_record:
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), ColumnError> {
        not_a_record()
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), ColumnError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), ColumnError> {
        not_a_record()
    }
}

/// Serialises one field's value into a cell, noting whether it is an `Option`.
struct CellSerializer<'a> {
    optional: &'a mut bool,
}

/// Refuses a nested value.
fn nested<T>() -> Result<T, ColumnError> {
    Err(ColumnError(
        "a field holds a nested value (a list, map or struct), which is not a column".into(),
    ))
}

/// The integer types that fit an `int64` cell as they are.
macro_rules! int_cells {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, v: $ty) -> Result<Cell, ColumnError> {
            Ok(Cell::Int(v.into()))
        })*
    };
}

impl ser::Serializer for CellSerializer<'_> {
    type Ok = Cell;
    type Error = ColumnError;
    type SerializeSeq = Impossible<Cell, ColumnError>;
    type SerializeTuple = Impossible<Cell, ColumnError>;
    type SerializeTupleStruct = Impossible<Cell, ColumnError>;
    type SerializeTupleVariant = Impossible<Cell, ColumnError>;
    type SerializeMap = Impossible<Cell, ColumnError>;
    type SerializeStruct = Impossible<Cell, ColumnError>;
    type SerializeStructVariant = Impossible<Cell, ColumnError>;

    fn serialize_bool(self, v: bool) -> Result<Cell, ColumnError> {
        Ok(Cell::Bool(v))
    }
    int_cells! {
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
    }
    fn serialize_u64(self, v: u64) -> Result<Cell, ColumnError> {
        i64::try_from(v)
            .map(Cell::Int)
            .map_err(|_| ColumnError(format!("{v} does not fit in an int64 column")))
    }
    fn serialize_f32(self, v: f32) -> Result<Cell, ColumnError> {
        Ok(Cell::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Cell, ColumnError> {
        Ok(Cell::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Cell, ColumnError> {
        Ok(Cell::Text(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Cell, ColumnError> {
        Ok(Cell::Text(v.to_string()))
    }
    fn serialize_none(self) -> Result<Cell, ColumnError> {
        *self.optional = true;
        Ok(Cell::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Cell, ColumnError> {
        *self.optional = true;
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Cell, ColumnError> {
        Ok(Cell::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Cell, ColumnError> {
        Ok(Cell::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Cell, ColumnError> {
        Ok(Cell::Text(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Cell, ColumnError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Cell, ColumnError> {
        nested()
    }

    refuse! {
        nested:
        serialize_bytes(&[u8]) -> Cell;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use numpy::PyArrayMethods;

    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum Tier {
        Edge,
    }

    #[derive(Serialize)]
    struct Row {
        id: u64,
        split: Option<u32>,
        share: Option<f64>,
        tier: Tier,
        server: Option<String>,
        ok: bool,
    }

    fn row(id: u64, split: Option<u32>) -> Row {
        Row {
            id,
            split,
            share: split.map(|s| f64::from(s) / 10.0),
            tier: Tier::Edge,
            server: split.map(|_| "edge-l4".to_string()),
            ok: split.is_some(),
        }
    }

    const NAMES: &[&str] = &["id", "split", "share", "tier", "server", "ok"];

    #[test]
    fn fields_become_typed_columns_with_missing_values() {
        let rows = [row(7, None), row(8, Some(3))];
        let columns = Columns::of(NAMES, &rows).unwrap();
        assert_eq!(columns.rows, 2);
        assert_eq!(
            columns.column("id"),
            Some(&Column::Int(vec![7, 8], vec![false, false]))
        );
        // A missing value before the first one is back-filled.
        assert_eq!(
            columns.column("split"),
            Some(&Column::Int(vec![0, 3], vec![true, false]))
        );
        match columns.column("share") {
            Some(Column::Float(v)) => assert!(v[0].is_nan() && v[1] == 0.3),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            columns.column("tier"),
            Some(&Column::Text(vec![
                Some("edge".into()),
                Some("edge".into())
            ]))
        );
        assert_eq!(
            columns.column("server"),
            Some(&Column::Text(vec![None, Some("edge-l4".into())]))
        );
        let optional: Vec<bool> = columns.columns.iter().map(|c| c.optional).collect();
        assert_eq!(optional, [false, true, true, false, true, false]);
    }

    #[test]
    fn records_that_do_not_fit_are_errors() {
        let wrong = Columns::of(&["id", "other"], &[row(1, None)]).unwrap_err();
        assert!(wrong.to_string().contains("`split`"), "{wrong}");
        let short = Columns::of(
            &["id", "split", "share", "tier", "server", "ok", "more"],
            &[row(1, None)],
        )
        .unwrap_err();
        assert!(short.to_string().contains("`more`"), "{short}");
        #[derive(Serialize)]
        struct Nested {
            list: Vec<u64>,
        }
        let nested = Columns::of(&["list"], &[Nested { list: vec![1] }]).unwrap_err();
        assert!(nested.to_string().contains("nested"), "{nested}");
        let big = Columns::of(&["id"], &[Only { id: u64::MAX }]).unwrap_err();
        assert!(big.to_string().contains("int64"), "{big}");
    }

    #[derive(Serialize)]
    struct Only {
        id: u64,
    }

    #[test]
    fn columns_become_numpy_arrays_and_masked_pairs() {
        pyo3::prepare_freethreaded_python();
        Python::with_gil(|py| {
            let rows = [row(7, None), row(8, Some(3))];
            let dict = Columns::of(NAMES, &rows).unwrap().into_python(py).unwrap();
            let id = dict.get_item("id").unwrap().unwrap();
            let id = id.downcast::<PyArray1<i64>>().unwrap();
            assert_eq!(id.to_vec().unwrap(), [7, 8]);
            let split = dict.get_item("split").unwrap().unwrap();
            let (values, mask): (Bound<'_, PyArray1<i64>>, Bound<'_, PyArray1<bool>>) =
                split.extract().unwrap();
            assert_eq!(values.to_vec().unwrap()[1], 3);
            assert_eq!(mask.to_vec().unwrap(), [true, false]);
            let server: Vec<Option<String>> =
                dict.get_item("server").unwrap().unwrap().extract().unwrap();
            assert_eq!(server, [None, Some("edge-l4".to_string())]);
            let empty = Columns::new(&["x"]).into_python(py).unwrap();
            let x = empty.get_item("x").unwrap().unwrap();
            assert_eq!(x.downcast::<PyArray1<f64>>().unwrap().len().unwrap(), 0);
        });
    }
}
