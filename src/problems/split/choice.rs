//! Where one request runs.

use crate::system::LocalityShares;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The tier that serves the layers after the split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// The whole model on the user's device.
    Device,
    /// Layers after the split on an edge server.
    Edge,
    /// Layers after the split in the cloud, reached through an edge server's cell.
    Cloud,
}

impl Tier {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Device => "device",
            Tier::Edge => "edge",
            Tier::Cloud => "cloud",
        }
    }
}

/// Where a request's data may go: the tiers that may serve it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locality {
    /// Any tier.
    #[default]
    Anywhere,
    /// The device and the edge servers of its cells, not the cloud (not even an inner split:
    /// the activations sent up carry the prompt).
    Edge,
    /// The user's device alone.
    Device,
}

impl Locality {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Locality::Anywhere => "anywhere",
            Locality::Edge => "edge",
            Locality::Device => "device",
        }
    }

    /// Whether `tier` may serve a request of this class.
    pub fn allows(self, tier: Tier) -> bool {
        match self {
            Locality::Anywhere => true,
            Locality::Edge => tier != Tier::Cloud,
            Locality::Device => tier == Tier::Device,
        }
    }

    /// The class a uniform `draw` in `[0, 1)` gives under `shares`: device-only below the
    /// device share, edge next, anywhere above both.
    pub fn drawn(shares: &LocalityShares, draw: f64) -> Locality {
        if draw < shares.device_share {
            Locality::Device
        } else if draw < shares.device_share + shares.edge_share {
            Locality::Edge
        } else {
            Locality::Anywhere
        }
    }
}

/// The decision for one request apart from the shares: tier, edge server (the serving edge
/// server, or the cell through which the cloud is reached) and split point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Choice {
    /// Serving tier.
    pub tier: Tier,
    /// Edge server index (`None` for device-only).
    pub server: Option<usize>,
    /// Split point `s`: the device runs the embedding and blocks `1..s`; `s = L` for
    /// device-only, `s = 0` for server-only.
    pub split: u32,
}

impl Choice {
    /// The whole model on the device.
    pub fn device_only(layers: u32) -> Choice {
        Choice {
            tier: Tier::Device,
            server: None,
            split: layers,
        }
    }

    /// Split `split` with the rest on edge server `server`.
    pub fn edge(server: usize, split: u32) -> Choice {
        Choice {
            tier: Tier::Edge,
            server: Some(server),
            split,
        }
    }

    /// Split `split` with the rest in the cloud, through the cell of edge server `server`.
    pub fn cloud(server: usize, split: u32) -> Choice {
        Choice {
            tier: Tier::Cloud,
            server: Some(server),
            split,
        }
    }

    /// Whether the request uses the uplink of cell `e`.
    pub fn uses_cell(&self, e: usize) -> bool {
        self.tier != Tier::Device && self.server == Some(e)
    }

    /// Whether the request uses the compute of edge server `e`.
    pub fn uses_edge_compute(&self, e: usize) -> bool {
        self.tier == Tier::Edge && self.server == Some(e)
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.tier, self.server) {
            (Tier::Device, _) | (_, None) => write!(f, "device-only"),
            (tier, Some(e)) => write!(f, "{}@{e} split {}", tier.name(), self.split),
        }
    }
}
