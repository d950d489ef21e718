//! TLS client configurations, one per upstream, built once at start-up.
//!
//! Certificates are always verified, names included: the roots are the system's, plus
//! the upstream's own `ca_file` for a private CA. There is deliberately no switch to
//! turn verification off. The one alternative is a `pinned_certificate`: the upstream
//! must then present exactly that certificate (what a self-signed mail server has),
//! and sign the handshake with its key.

use std::collections::HashMap;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

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
            if let Some(file) = &upstream.pinned_certificate {
                let pinned = CertificateDer::from_pem_file(file).map_err(|e| {
                    anyhow::anyhow!(
                        "upstream {:?}: pinned_certificate {}: {e}",
                        upstream.id,
                        file.display()
                    )
                })?;
                let verifier = PinnedCertificate {
                    pinned,
                    provider: Arc::new(rustls::crypto::ring::default_provider()),
                };
                let config = ClientConfig::builder()
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(verifier))
                    .with_no_client_auth();
                by_upstream.insert(upstream.id.clone(), Arc::new(config));
                continue;
            }
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

/// Accepts exactly one certificate, byte for byte, whatever signed it; the handshake
/// signatures are checked as usual, so only the holder of its key gets through.
#[derive(Debug)]
struct PinnedCertificate {
    pinned: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

/// The upstream presented another certificate than the pinned one.
#[derive(Debug, thiserror::Error)]
#[error("it is not the certificate pinned for this upstream (pinned_certificate)")]
pub struct NotThePinnedCertificate;

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Other(rustls::OtherError(Arc::new(
                    NotThePinnedCertificate,
                ))),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
