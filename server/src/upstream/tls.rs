//! TLS client configurations, one per upstream, built once at start-up.
//!
//! Certificates are always verified, names included: the roots are the system's, plus
//! the upstream's own `ca_file` for a private CA. There is deliberately no switch to
//! turn verification off.

use std::collections::HashMap;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};

use crate::config::Upstream;

pub struct TlsConfigs {
    by_upstream: HashMap<String, Arc<ClientConfig>>,
}

impl TlsConfigs {
    pub fn build(upstreams: &[Upstream]) -> anyhow::Result<TlsConfigs> {
        let system = rustls_native_certs::load_native_certs();
        for error in &system.errors {
            tracing::warn!(%error, "some system CA certificates could not be loaded");
        }
        let mut by_upstream = HashMap::new();
        for upstream in upstreams {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(system.certs.iter().cloned());
            if let Some(file) = &upstream.ca_file {
                let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(file)
                    .and_then(|iter| iter.collect())
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "upstream {:?}: ca_file {}: {e}",
                            upstream.id,
                            file.display()
                        )
                    })?;
                let (added, _) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    anyhow::bail!(
                        "upstream {:?}: ca_file {} holds no usable certificate",
                        upstream.id,
                        file.display()
                    );
                }
            }
            let config = ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth();
            by_upstream.insert(upstream.id.clone(), Arc::new(config));
        }
        Ok(TlsConfigs { by_upstream })
    }

    pub fn for_upstream(&self, id: &str) -> Arc<ClientConfig> {
        self.by_upstream
            .get(id)
            .cloned()
            .expect("a TLS config is built for every configured upstream")
    }
}
