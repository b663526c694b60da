//! go-plugin's auxiliary gRPC services: `plugin.GRPCController` (Terraform's request to exit) and
//! `plugin.GRPCStdio` (stdout/stderr forwarding, which we do not need: our logs go to stderr directly).

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::proto::plugin::grpc_controller_server::GrpcController;
use super::proto::plugin::grpc_stdio_server::GrpcStdio;
use super::proto::plugin::{Empty, StdioData};

/// Answers `Shutdown` by cancelling the server's shutdown token. Terraform kills the plugin if it has not
/// exited 2 s after this call, so the serve loop exits promptly once the token is cancelled.
#[derive(Debug, Clone)]
pub struct Controller {
    shutdown: CancellationToken,
}

impl Controller {
    /// A controller that cancels `shutdown` when asked to.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("shutdown requested by the plugin client");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// Serves `StreamStdio` as a stream that never carries data and ends at shutdown; ending it matters because
/// tonic's graceful shutdown waits for open streams.
#[derive(Debug, Clone)]
pub struct Stdio {
    shutdown: CancellationToken,
}

impl Stdio {
    /// A stdio service whose streams end when `shutdown` is cancelled.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self { shutdown }
    }
}

type StdioStream =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<StdioData, Status>> + Send>>;

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: Request<Empty>,
    ) -> Result<Response<StdioStream>, Status> {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<StdioData, Status>>(1);
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            // Holding the sender keeps the stream open; dropping it (at shutdown, or when the client goes
            // away) ends the stream.
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tx.closed() => {}
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt as _;

    use super::*;

    #[tokio::test]
    async fn shutdown_cancels_the_token() {
        let token = CancellationToken::new();
        let controller = Controller::new(token.clone());
        controller.shutdown(Request::new(Empty {})).await.unwrap();
        assert!(token.is_cancelled());
    }

    #[tokio::test]
    async fn stdio_stream_stays_open_until_shutdown() {
        let token = CancellationToken::new();
        let mut stream = Stdio::new(token.clone())
            .stream_stdio(Request::new(Empty {}))
            .await
            .unwrap()
            .into_inner();
        let idle = tokio::time::timeout(std::time::Duration::from_millis(50), stream.next()).await;
        assert!(idle.is_err(), "the stream must stay open and empty");
        token.cancel();
        assert!(stream.next().await.is_none());
    }
}
