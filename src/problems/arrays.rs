//! A decision as numeric arrays, the form numpy users pass and get back
//! (`mei4llm.decision_arrays`, `mei4llm.evaluate`): a problem turns its decision into
//! [`Arrays`] and reads one back, the Python layer converts them to and from numpy.

/// The values of an array.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Integers (`int64`).
    Int(Vec<i64>),
    /// Numbers (`float64`).
    Float(Vec<f64>),
    /// Flags (`bool`).
    Bool(Vec<bool>),
}

/// An array: its values in row-major order, its shape and the name of its dtype as given
/// (`int64`, `float32`, …, for messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// The values.
    pub values: Values,
    /// The shape (one entry per dimension).
    pub shape: Vec<usize>,
    /// The dtype's name.
    pub dtype: String,
}

/// A decision's arrays: named ones (a dict of arrays, or a DataFrame's columns), or one array.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrays {
    /// Arrays by name.
    Named(Vec<(String, Array)>),
    /// One array.
    Single(Array),
}

impl Array {
    /// A 1-D array of integers.
    pub fn ints(values: Vec<i64>) -> Array {
        Array::vector(Values::Int(values), "int64")
    }

    /// A 1-D array of numbers.
    pub fn floats(values: Vec<f64>) -> Array {
        Array::vector(Values::Float(values), "float64")
    }

    /// A `rows × columns` matrix of flags, row by row.
    pub fn flags(rows: usize, columns: usize, values: Vec<bool>) -> Array {
        Array {
            values: Values::Bool(values),
            shape: vec![rows, columns],
            dtype: "bool".into(),
        }
    }

    fn vector(values: Values, dtype: &str) -> Array {
        let n = match &values {
            Values::Int(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Bool(v) => v.len(),
        };
        Array {
            values,
            shape: vec![n],
            dtype: dtype.into(),
        }
    }

    /// The values of a 1-D array of integers; `what` names it in the error.
    pub fn as_ints(&self, what: &str) -> Result<Vec<i64>, String> {
        self.one_dimensional(what)?;
        match &self.values {
            Values::Int(v) => Ok(v.clone()),
            _ => Err(self.wrong_kind(what, "integers")),
        }
    }

    /// The values of a 1-D array of numbers (integers accepted); `what` names it in the error.
    pub fn as_floats(&self, what: &str) -> Result<Vec<f64>, String> {
        self.one_dimensional(what)?;
        match &self.values {
            Values::Float(v) => Ok(v.clone()),
            Values::Int(v) => Ok(v.iter().map(|&x| x as f64).collect()),
            Values::Bool(_) => Err(self.wrong_kind(what, "numbers")),
        }
    }

    /// The rows of a 2-D array of flags; `what` names it in the error.
    pub fn as_flag_rows(&self, what: &str) -> Result<Vec<Vec<bool>>, String> {
        let Values::Bool(flags) = &self.values else {
            return Err(self.wrong_kind(what, "bool"));
        };
        let [_, columns] = self.shape[..] else {
            return Err(format!("{what}: a 2-D array is expected"));
        };
        Ok(flags.chunks(columns.max(1)).map(<[bool]>::to_vec).collect())
    }

    fn one_dimensional(&self, what: &str) -> Result<(), String> {
        match self.shape.len() {
            1 => Ok(()),
            _ => Err(format!(
                "{what}: a 1-D array is expected (one entry per request)"
            )),
        }
    }

    fn wrong_kind(&self, what: &str, expected: &str) -> String {
        format!(
            "{what}: an array of dtype {}; expected {expected}",
            self.dtype
        )
    }
}

impl Arrays {
    /// The array called `key`; `give` says what to give instead in the error.
    pub fn get(&self, key: &str, give: &str) -> Result<&Array, String> {
        let missing = || format!("no `{key}`; {give}");
        match self {
            Arrays::Named(arrays) => arrays
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, array)| array)
                .ok_or_else(missing),
            Arrays::Single(_) => Err(missing()),
        }
    }

    /// The one array; `what` says what it should be in the error.
    pub fn single(&self, what: &str) -> Result<&Array, String> {
        match self {
            Arrays::Single(array) => Ok(array),
            Arrays::Named(_) => Err(format!("{what} is expected, not named arrays")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_shapes_are_checked_with_the_array_named() {
        let a = Array::ints(vec![1, 2]);
        assert_eq!(a.as_ints("tier").unwrap(), vec![1, 2]);
        assert_eq!(a.as_floats("share").unwrap(), vec![1.0, 2.0]);
        let f = Array::floats(vec![0.5]);
        assert_eq!(
            f.as_ints("tier").unwrap_err(),
            "tier: an array of dtype float64; expected integers"
        );
        let m = Array::flags(2, 2, vec![true, false, false, true]);
        assert_eq!(
            m.as_flag_rows("placement").unwrap(),
            vec![vec![true, false], vec![false, true]]
        );
        assert!(m.as_ints("tier").unwrap_err().contains("1-D"));
        let named = Arrays::Named(vec![("tier".into(), a)]);
        assert!(
            named
                .get("server", "give it")
                .unwrap_err()
                .contains("no `server`")
        );
    }
}
