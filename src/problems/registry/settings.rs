//! A problem's settings from the keys the command line and Python give.

use super::RegistryError;
use crate::problems::Error;
use crate::problems::formulation::Formulation;
use serde_json::Value;

/// The settings of `F` from `given` (a JSON object of keys and values; `null` values are left
/// out): a key the problem does not take is refused by name, with the keys it takes.
pub fn settings<F: Formulation>(given: &Value) -> Result<F::Settings, RegistryError> {
    let empty = serde_json::Map::new();
    let map = match given {
        Value::Object(map) => map,
        Value::Null => &empty,
        other => {
            return Err(Error::Setting(format!(
                "the settings of `{}` are keys and values, not {other}",
                F::NAME
            ))
            .into());
        }
    };
    let given: serde_json::Map<String, Value> = map
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(key) = given
        .keys()
        .find(|k| F::SETTINGS.iter().all(|s| s.key != k.as_str()))
    {
        let known: Vec<&str> = F::SETTINGS.iter().map(|s| s.key).collect();
        return Err(Error::Setting(format!(
            "`{key}` does not apply to the `{}` problem (its settings: {})",
            F::NAME,
            if known.is_empty() {
                "none; its scenario section says everything".to_string()
            } else {
                known.join(", ")
            }
        ))
        .into());
    }
    serde_path_to_error::deserialize(Value::Object(given)).map_err(|e| {
        Error::Setting(format!(
            "setting `{}` of `{}`: {}",
            e.path(),
            F::NAME,
            e.inner()
        ))
        .into()
    })
}
