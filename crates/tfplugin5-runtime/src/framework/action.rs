//! Actions (Terraform ≥ 1.14): imperative operations a configuration declares with an `action` block and runs
//! with `terraform apply -invoke=action.<type>.<name>` or from a resource's `lifecycle { action_trigger {…} }`.
//! An action has a configuration but no state; while it runs it reports progress, and it ends with its
//! diagnostics. Terraform < 1.14 and OpenTofu never call actions: declaring them costs those clients nothing.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::context::Ctx;
use super::validate::{Configurable, Typed};
use crate::diag::Diagnostics;
use crate::schema::Schema;
use crate::value::Value;

/// An action type.
#[async_trait]
pub trait Action<D>: Send + Sync + 'static {
    /// The full type name, e.g. `example_reboot`.
    fn type_name(&self) -> &'static str;

    /// The schema of its `config` block.
    fn schema(&self) -> Schema;

    /// Checks beyond the per-attribute validators. Unknown values may be present: skip them.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Plan-time checks of a wholly or partly known configuration (the provider may not be configured yet).
    async fn plan(&self, _ctx: &Ctx<Option<&D>>, _config: &Value, _diags: &mut Diagnostics) {}

    /// Runs the action, reporting progress as it goes; problems go to `diags`.
    async fn invoke(
        &self,
        ctx: &Ctx<&D>,
        config: &Value,
        progress: &Progress,
        diags: &mut Diagnostics,
    );
}

/// What an invoked action tells Terraform, in order: progress messages, then its diagnostics once done.
#[derive(Clone, Debug, PartialEq)]
pub enum ActionEvent {
    Progress(String),
    Completed(Diagnostics),
}

/// Reports an action's progress to Terraform, which prints each message as it arrives.
pub struct Progress {
    sender: mpsc::UnboundedSender<ActionEvent>,
}

impl Progress {
    /// Reports one step, e.g. "refresh task 12: doing (40 %)".
    pub fn report(&self, message: impl Into<String>) {
        // Terraform gone: nothing left to tell.
        let _ = self.sender.send(ActionEvent::Progress(message.into()));
    }
}

/// An action type with its schema.
pub struct ActionRuntime<D> {
    action: Arc<dyn Action<D>>,
    typed: Typed,
}

impl<D: Send + Sync + 'static> Configurable for ActionRuntime<D> {
    fn typed(&self) -> &Typed {
        &self.typed
    }

    fn check(&self, config: &Value, diags: &mut Diagnostics) {
        self.action.validate(config, diags);
    }
}

impl<D: Send + Sync + 'static> ActionRuntime<D> {
    /// Drives `action`.
    pub fn new(action: Arc<dyn Action<D>>) -> Self {
        let typed = Typed::new(action.schema());
        Self { action, typed }
    }

    /// The action type name.
    pub fn type_name(&self) -> &'static str {
        self.action.type_name()
    }

    /// Plan-time checks.
    pub async fn plan(&self, ctx: &Ctx<Option<&D>>, config: &Value, diags: &mut Diagnostics) {
        self.validate(config, diags);
        if !diags.has_errors() {
            self.action.plan(ctx, config, diags).await;
        }
    }

    /// Invokes the action as its own task, holding `data`; its events arrive on the returned channel, the last
    /// one always [`ActionEvent::Completed`].
    pub fn start(
        self: &Arc<Self>,
        ctx: Ctx<Arc<D>>,
        config: Value,
    ) -> mpsc::UnboundedReceiver<ActionEvent> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut diags = Diagnostics::new();
            this.validate(&config, &mut diags);
            if !config.is_wholly_known() {
                diags.error(
                    "Action configuration not known",
                    format!(
                        "{} was invoked with values known only after apply; Terraform should not do that.",
                        this.type_name()
                    ),
                );
            }
            if !diags.has_errors() {
                let progress = Progress {
                    sender: sender.clone(),
                };
                let data = Arc::clone(&ctx.data);
                let ctx = ctx.with_data(&*data);
                this.action
                    .invoke(&ctx, &config, &progress, &mut diags)
                    .await;
            }
            let _ = sender.send(ActionEvent::Completed(diags));
        });
        receiver
    }
}
