//! Prometheus metrics for `GET /metrics`: tunnels, bytes, refusals and closes.
//!
//! Labels are small closed sets (protocol, direction, error code, close reason), never
//! user names, addresses or anything else that would grow without bound.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use postern_shared::tunnel::{CloseReason, ErrorCode, Protocol};

/// Which way relayed bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ToUpstream,
    ToClient,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::ToUpstream => "to_upstream",
            Direction::ToClient => "to_client",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DirectionLabel {
    direction: &'static str,
}

pub struct Metrics {
    registry: Registry,
    tunnels_open: Gauge,
    tunnels: Family<ProtocolLabel, Counter>,
    bytes: Family<DirectionLabel, Counter>,
    refusals: Family<CodeLabel, Counter>,
    closes: Family<ReasonLabel, Counter>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ProtocolLabel {
    protocol: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CodeLabel {
    code: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

/// Counts an open tunnel while it lives.
pub struct OpenTunnel<'a> {
    gauge: &'a Gauge,
}

impl Drop for OpenTunnel<'_> {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("postern");
        let tunnels_open = Gauge::default();
        let tunnels = Family::<ProtocolLabel, Counter>::default();
        let bytes = Family::<DirectionLabel, Counter>::default();
        let refusals = Family::<CodeLabel, Counter>::default();
        let closes = Family::<ReasonLabel, Counter>::default();
        registry.register("tunnels_open", "Tunnels open now", tunnels_open.clone());
        registry.register("tunnels", "Tunnels accepted, by protocol", tunnels.clone());
        registry.register("tunnel_bytes", "Bytes relayed, by direction", bytes.clone());
        registry.register(
            "tunnel_refusals",
            "Tunnels refused, by error code",
            refusals.clone(),
        );
        registry.register(
            "tunnel_closes",
            "Accepted tunnels closed, by reason",
            closes.clone(),
        );
        let metrics = Metrics {
            registry,
            tunnels_open,
            tunnels,
            bytes,
            refusals,
            closes,
        };
        // Every series exists from the start, at zero, so rates and alerts work before
        // the first event of each kind.
        for protocol in Protocol::ALL {
            let _ = metrics.tunnels.get_or_create(&ProtocolLabel {
                protocol: protocol.as_str(),
            });
        }
        for direction in [Direction::ToUpstream, Direction::ToClient] {
            let _ = metrics.bytes.get_or_create(&DirectionLabel {
                direction: direction.as_str(),
            });
        }
        for code in ErrorCode::ALL {
            let _ = metrics.refusals.get_or_create(&CodeLabel {
                code: code.as_str(),
            });
        }
        for reason in CloseReason::ALL {
            let _ = metrics.closes.get_or_create(&ReasonLabel {
                reason: reason.as_str(),
            });
        }
        metrics
    }

    pub fn tunnel_opened(&self, protocol: Protocol) -> OpenTunnel<'_> {
        self.tunnels
            .get_or_create(&ProtocolLabel {
                protocol: protocol.as_str(),
            })
            .inc();
        self.tunnels_open.inc();
        OpenTunnel {
            gauge: &self.tunnels_open,
        }
    }

    pub fn tunnel_closed(&self, reason: CloseReason) {
        self.closes
            .get_or_create(&ReasonLabel {
                reason: reason.as_str(),
            })
            .inc();
    }

    pub fn tunnel_refused(&self, code: ErrorCode) {
        self.refusals
            .get_or_create(&CodeLabel {
                code: code.as_str(),
            })
            .inc();
    }

    pub fn count_bytes(&self, direction: Direction, n: usize) {
        self.bytes
            .get_or_create(&DirectionLabel {
                direction: direction.as_str(),
            })
            .inc_by(n as u64);
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}
