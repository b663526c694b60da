//! go-plugin AutoMTLS, server side: a fresh self-signed server certificate per process, and a rustls
//! `ServerConfig` that accepts exactly one client certificate, the one Terraform passed in `PLUGIN_CLIENT_CERT`.
//!
//! Why not webpki client verification (tonic's `client_ca_root`): Terraform's certificate is a self-signed
//! P-521 certificate marked as a CA, which webpki refuses as an end entity (`CaUsedAsEndEntity`). Pinning the
//! exact DER is what go-plugin's trust model amounts to anyway: one pool holding one certificate.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms, aws_lc_rs};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};

/// What went wrong while setting TLS up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// `PLUGIN_CLIENT_CERT` holds no usable PEM certificate.
    #[error("PLUGIN_CLIENT_CERT does not contain a PEM certificate: {0}")]
    ClientCertPem(rustls::pki_types::pem::Error),
    /// The server certificate could not be generated.
    #[error("cannot generate the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("cannot build the TLS server configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The server's own certificate and key, generated for this process only.
pub struct ServerIdentity {
    /// DER of the certificate; announced (base64) in the handshake line.
    pub cert_der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("cert_der_len", &self.cert_der.len())
            .field("key_der", &"<redacted>")
            .finish()
    }
}

impl ServerIdentity {
    /// A self-signed ECDSA P-256 certificate for `localhost` (the name Terraform verifies). P-256 keeps the
    /// handshake cheap; only *verifying* Terraform's certificate needs P-521, which aws-lc-rs provides.
    pub fn generate() -> Result<Self, TlsSetupError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_der: cert.der().clone(),
            key_der: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }
}

/// Parses the first certificate of a PEM bundle (Terraform sends exactly one).
pub fn parse_client_cert_pem(pem: &str) -> Result<CertificateDer<'static>, TlsSetupError> {
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(TlsSetupError::ClientCertPem)
}

/// The crypto provider used on both ends: aws-lc-rs, because ring cannot verify P-521 signatures. Passing it
/// explicitly avoids relying on a process-wide default provider.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(aws_lc_rs::default_provider())
}

/// A rustls server configuration requiring the client to present exactly `pinned_client_cert`, offering ALPN
/// `h2` (grpc-go ≥ 1.67, i.e. Terraform ≥ 1.12, refuses TLS without it).
pub fn server_config(
    identity: &ServerIdentity,
    pinned_client_cert: CertificateDer<'static>,
) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let provider = crypto_provider();
    let verifier = PinnedClientCertVerifier::new(
        pinned_client_cert,
        provider.signature_verification_algorithms,
    );
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(
            vec![identity.cert_der.clone()],
            PrivateKeyDer::Pkcs8(identity.key_der.clone_key()),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts a client certificate iff it is byte-for-byte the pinned one; the handshake signatures are still
/// verified, which proves the peer holds the matching private key.
#[derive(Debug)]
pub struct PinnedClientCertVerifier {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertVerifier {
    /// A verifier pinning `pinned`, checking signatures with `algorithms`.
    pub fn new(pinned: CertificateDer<'static>, algorithms: WebPkiSupportedAlgorithms) -> Self {
        Self { pinned, algorithms }
    }
}

impl ClientCertVerifier for PinnedClientCertVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hints: Go then sends its only certificate without trying to match issuers.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate shaped like go-plugin's client certificate: self-signed ECDSA P-521 CA for localhost.
    fn go_plugin_like_cert() -> (rcgen::Certificate, rcgen::KeyPair) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "HashiCorp");
        (params.self_signed(&key).unwrap(), key)
    }

    fn verifier_for(pinned: &rcgen::Certificate) -> PinnedClientCertVerifier {
        PinnedClientCertVerifier::new(
            pinned.der().clone(),
            crypto_provider().signature_verification_algorithms,
        )
    }

    #[test]
    fn verifier_accepts_the_pinned_certificate_only() {
        let (pinned, _) = go_plugin_like_cert();
        let (other, _) = go_plugin_like_cert();
        let verifier = verifier_for(&pinned);
        assert!(verifier.client_auth_mandatory());
        assert!(verifier.root_hint_subjects().is_empty());
        assert!(
            verifier
                .verify_client_cert(pinned.der(), &[], UnixTime::now())
                .is_ok()
        );
        let refused = verifier.verify_client_cert(other.der(), &[], UnixTime::now());
        assert!(matches!(refused, Err(rustls::Error::InvalidCertificate(_))));
    }

    #[test]
    fn verifier_supports_p521_signatures() {
        let (pinned, _) = go_plugin_like_cert();
        assert!(
            verifier_for(&pinned)
                .supported_verify_schemes()
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
        );
    }

    #[test]
    fn client_cert_pem_round_trips_and_garbage_is_an_error() {
        let (cert, _) = go_plugin_like_cert();
        assert_eq!(
            parse_client_cert_pem(&cert.pem()).unwrap().as_ref(),
            cert.der().as_ref()
        );
        let err = parse_client_cert_pem("not a certificate").unwrap_err();
        assert!(err.to_string().contains("PLUGIN_CLIENT_CERT"), "{err}");
    }

    #[test]
    fn server_config_offers_h2_and_requires_a_client_certificate() {
        let identity = ServerIdentity::generate().unwrap();
        let (client, _) = go_plugin_like_cert();
        let config = server_config(&identity, client.der().clone()).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(!format!("{identity:?}").contains("key_der: ["));
    }
}
