//! The stream of accepted connections handed to tonic: TCP accept, TCP_NODELAY, then an optional upgrade (the
//! TLS handshake) done concurrently per connection.
//!
//! We accept ourselves rather than letting tonic do it because tonic's TLS cannot pin Terraform's client
//! certificate. The price is that tonic's `tcp_nodelay` setting no longer applies, hence `set_nodelay` here:
//! without it Nagle's algorithm and the client's delayed ACKs cost ~40 ms on many calls.

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

/// How long a client may take to finish the TLS handshake before its connection is dropped.
pub const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);

/// Pause after a failed `accept` (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// Starts accepting on `listener` and returns the stream of upgraded connections, for
/// `serve_with_incoming_shutdown`.
///
/// A failed or slow upgrade is logged and only drops that connection; the loop ends when `shutdown` is
/// cancelled or when the consumer drops the stream.
pub fn accept_connections<IO, F, Fut>(
    listener: TcpListener,
    upgrade: F,
    shutdown: CancellationToken,
) -> ReceiverStream<io::Result<IO>>
where
    IO: Send + 'static,
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = io::Result<IO>> + Send + 'static,
{
    // Few connections are ever open at once (Terraform uses one); a small buffer is plenty.
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        loop {
            let (stream, peer) = tokio::select! {
                () = shutdown.cancelled() => break,
                () = tx.closed() => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                        continue;
                    }
                },
            };
            if let Err(error) = stream.set_nodelay(true) {
                tracing::warn!(%error, %peer, "cannot set TCP_NODELAY; calls on this connection may be slow");
            }
            let upgrading = upgrade(stream);
            let tx = tx.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(UPGRADE_TIMEOUT, upgrading).await {
                    Ok(Ok(io)) => {
                        tracing::debug!(%peer, "connection accepted");
                        // The receiver is gone only when the server is shutting down.
                        let _ = tx.send(Ok(io)).await;
                    }
                    Ok(Err(error)) => {
                        tracing::warn!(%error, %peer, "TLS handshake failed, connection refused")
                    }
                    Err(_) => {
                        tracing::warn!(%peer, timeout = ?UPGRADE_TIMEOUT, "TLS handshake timed out")
                    }
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio_stream::StreamExt as _;

    use super::*;

    #[tokio::test]
    async fn failed_upgrades_do_not_end_the_stream_and_nodelay_is_set() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let token = CancellationToken::new();
        // The "handshake" refuses clients that send 'x' and accepts the others.
        let mut incoming = accept_connections(
            listener,
            |mut stream: TcpStream| async move {
                assert!(stream.nodelay()?);
                let mut first = [0_u8; 1];
                stream.read_exact(&mut first).await?;
                if first[0] == b'x' {
                    Err(io::Error::other("refused"))
                } else {
                    Ok(stream)
                }
            },
            token.clone(),
        );

        let mut bad = TcpStream::connect(addr).await.unwrap();
        bad.write_all(b"x").await.unwrap();
        let mut good = TcpStream::connect(addr).await.unwrap();
        good.write_all(b"o").await.unwrap();

        let accepted = incoming.next().await.unwrap().unwrap();
        assert_eq!(accepted.peer_addr().unwrap(), good.local_addr().unwrap());

        token.cancel();
        assert!(
            incoming.next().await.is_none(),
            "the stream must end after shutdown"
        );
    }
}
