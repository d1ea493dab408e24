//! What exists and what it costs: models, hardware, links, requests and scenarios.
//!
//! This layer knows nothing about any optimisation problem. A problem builds its instance from
//! a [`Scenario`] and the cost model here; it never re-derives FLOPs or bytes itself.

mod architecture;
pub mod batch_time;
pub mod bundle;
pub mod calibration;
mod catalogue;
pub mod cost_report;
mod data_path;
pub mod error;
mod hardware;
mod model_cost;
pub mod network;
mod node;
mod precision;
pub mod quantity;
pub mod scenario;
mod table;
pub mod trace;

pub use architecture::{Architecture, Family, MlpKind};
pub use batch_time::{BatchTime, COMBINATIONS, Sequence};
pub use catalogue::Catalogue;
pub use data_path::{BUNDLED_PREFIX, DataPath};
pub use error::Error;
pub use hardware::{Calibration, DeviceClass, HardwareProfile};
pub use model_cost::{ModelCost, Part, UnitCost};
pub use node::{Background, Node, PhaseCosts, PhaseTimes};
pub use precision::{ACTIVATION_BYTES, Precision, TOKEN_ID_BYTES};
pub use scenario::{
    Cloud, Device, EdgeServer, LocalityShares, Radio, Scenario, ServedModel, Workload,
};
