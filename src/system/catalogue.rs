//! The bundled data: model architectures, hardware profiles and their calibration, and the
//! measurements the cost model is checked against.

use super::architecture::{Architecture, check_unique, name_key};
use super::error::{Error, Result};
use super::hardware::{Calibration, HardwareProfile, short};
use super::node::Node;
use super::table::Table;
use std::path::Path;
use std::sync::OnceLock;

/// A data file: its path relative to the datasets folder and its bundled contents.
struct Bundled {
    path: &'static str,
    text: &'static str,
}

macro_rules! bundled {
    ($path:literal) => {
        Bundled {
            path: $path,
            text: include_str!(concat!("../../datasets/", $path)),
        }
    };
}

const ARCHITECTURES: Bundled = bundled!("profiles/llm_architectures.csv");
const ALIASES: Bundled = bundled!("profiles/model_aliases.csv");
const DEVICES: Bundled = bundled!("profiles/device_profiles.csv");
const CALIBRATION: Bundled = bundled!("profiles/device_calibration.csv");

/// Models, hardware and calibration, looked up by name.
#[derive(Debug, Clone)]
pub struct Catalogue {
    models: Vec<Architecture>,
    aliases: Vec<(String, String)>,
    hardware: Vec<HardwareProfile>,
    calibrations: Vec<Calibration>,
}

impl Catalogue {
    /// The data bundled with the crate (the files under `datasets/profiles/`).
    pub fn bundled() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            Catalogue::parse(&|name| {
                [ARCHITECTURES, ALIASES, DEVICES, CALIBRATION]
                    .into_iter()
                    .find(|b| b.path == name)
                    .map(|b| (format!("datasets/{}", b.path), b.text.to_string()))
                    .ok_or_else(|| Error::File {
                        file: name.into(),
                        message: "not bundled".into(),
                    })
            })
            .unwrap_or_else(|e| panic!("the bundled datasets are inconsistent: {e}"))
        })
    }

    /// Reads the same files from a datasets folder on disk (e.g. an edited copy).
    pub fn load(datasets_dir: &Path) -> Result<Catalogue> {
        Catalogue::parse(&|name| {
            let path = datasets_dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                file: path.clone(),
                source,
            })?;
            Ok((path.display().to_string(), text))
        })
    }

    fn parse(read: &dyn Fn(&str) -> Result<(String, String)>) -> Result<Catalogue> {
        let (file, text) = read(ARCHITECTURES.path)?;
        let models = Architecture::read_table(&file, &text)?;
        check_unique(&file, &models)?;
        let (file, text) = read(ALIASES.path)?;
        let table = Table::parse(&file, &text)?;
        table.require(&["alias", "model"])?;
        let mut aliases = Vec::new();
        for row in table.rows() {
            let model = row.string("model")?;
            if !models.iter().any(|m| name_key(&m.name) == name_key(&model)) {
                return Err(row.error("model", format!("no model named `{model}`")));
            }
            aliases.push((row.string("alias")?, model));
        }
        let (file, text) = read(DEVICES.path)?;
        let hardware = HardwareProfile::read_table(&file, &text)?;
        let (file, text) = read(CALIBRATION.path)?;
        let calibrations = Calibration::read_table(&file, &text)?;
        Ok(Catalogue {
            models,
            aliases,
            hardware,
            calibrations,
        })
    }

    /// All model architectures, in file order.
    pub fn models(&self) -> &[Architecture] {
        &self.models
    }

    /// All hardware profiles, in file order.
    pub fn hardware(&self) -> &[HardwareProfile] {
        &self.hardware
    }

    /// All calibration rows.
    pub fn calibrations(&self) -> &[Calibration] {
        &self.calibrations
    }

    /// The model called `name` (case, spaces and punctuation ignored; aliases and Hugging Face
    /// repositories accepted).
    pub fn model(&self, name: &str) -> Result<&Architecture> {
        let key = name_key(name);
        let target = self
            .aliases
            .iter()
            .find(|(alias, _)| name_key(alias) == key)
            .map(|(_, model)| name_key(model))
            .unwrap_or(key);
        self.models
            .iter()
            .find(|m| name_key(&m.name) == target || name_key(&m.hf_repo) == target)
            .ok_or_else(|| Error::UnknownName {
                kind: "model",
                name: name.into(),
                known: self
                    .models
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The hardware profile called `name`: its full name, or the name without the
    /// parenthesised remark when that is unique (case and punctuation ignored).
    pub fn hardware_profile(&self, name: &str) -> Result<&HardwareProfile> {
        let key = name_key(name);
        let exact = self.hardware.iter().find(|h| name_key(&h.name) == key);
        let by_short = || {
            let mut matches = self
                .hardware
                .iter()
                .filter(|h| name_key(short(&h.name)) == key);
            match (matches.next(), matches.next()) {
                (Some(h), None) => Some(h),
                _ => None,
            }
        };
        exact.or_else(by_short).ok_or_else(|| Error::UnknownName {
            kind: "device profile",
            name: name.into(),
            known: self
                .hardware
                .iter()
                .map(|h| h.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// The calibrated node for the device called `name`.
    pub fn node(&self, name: &str) -> Result<Node> {
        Node::new(self.hardware_profile(name)?.clone(), &self.calibrations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_architecture_reproduces_its_listed_parameter_count() {
        let c = Catalogue::bundled();
        assert_eq!(c.models().len(), 22);
        for m in c.models() {
            assert_eq!(m.total_params(), m.listed_params, "{}", m.name);
        }
    }

    #[test]
    fn names_resolve_loosely_but_unknown_names_list_the_known_ones() {
        let c = Catalogue::bundled();
        assert_eq!(c.model("llama 2 7b").unwrap().name, "Llama-2-7B");
        assert_eq!(
            c.model("meta-llama/Llama-2-7b-chat-hf").unwrap().name,
            "Llama-2-7B"
        );
        assert_eq!(c.model("Phi 3.5 3B").unwrap().name, "Phi-3.5-mini");
        let e = c.model("Llama-9-1T").unwrap_err().to_string();
        assert!(e.contains("Llama-9-1T") && e.contains("Llama-2-7B"), "{e}");
        assert_eq!(
            c.hardware_profile("Qualcomm Snapdragon 8 Gen 3")
                .unwrap()
                .name,
            "Qualcomm Snapdragon 8 Gen 3 (e.g. Galaxy S24, Xiaomi 14)"
        );
        assert_eq!(
            c.hardware_profile("NVIDIA Jetson Orin Nano 8GB")
                .unwrap()
                .fp16_flops_per_s,
            Some(10.2e12)
        );
        assert!(c.hardware_profile("NVIDIA B300").is_err());
    }
}
