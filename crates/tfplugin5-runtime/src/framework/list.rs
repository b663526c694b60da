//! List resources (Terraform ≥ 1.14, `terraform query`): a provider lists the objects of a managed resource
//! type that exist at its API, each as the state the resource's read would give and a name a person recognises.
//!
//! A list resource shares its type name with a managed resource that has an identity (Terraform requires both);
//! the runtime derives each result's identity from the state with that resource's identity, sends the state
//! itself only when Terraform asked for it, and stops the provider's listing once Terraform has enough.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::context::Ctx;
use super::identity::ResolvedIdentity;
use super::validate::{Configurable, Typed, validate_config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::schema::Schema;
use crate::value::{Type, Value};

/// A list resource type.
#[async_trait]
pub trait ListResource<D>: Send + Sync + 'static {
    /// The managed resource type it lists, e.g. `example_server`.
    fn type_name(&self) -> &'static str;

    /// The schema of the `config` block of a `list` block (filters).
    fn schema(&self) -> Schema;

    /// Checks beyond the per-attribute validators. Unknown values may be present: skip them.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Lists the objects matching `config` (null when the `list` block has no `config`) into `results`, and
    /// returns when done or when [`ListResults::push`] says no more are wanted. Errors go to
    /// [`ListResults::diagnostic`].
    async fn list(&self, ctx: &Ctx<&D>, config: &Value, results: &mut ListResults);
}

/// One item of a listing, as the runtime hands it to the wire layer.
#[derive(Clone, Debug, PartialEq)]
pub enum ListItem {
    /// An object: its identity, display name, and its state when Terraform asked for the objects.
    Found {
        identity: Value,
        display_name: String,
        state: Option<Value>,
    },
    /// An error or warning about the listing.
    Diagnostic(Diagnostic),
}

/// Where a [`ListResource`] puts what it finds.
pub struct ListResults {
    sender: mpsc::Sender<ListItem>,
    identity: ResolvedIdentity,
    include_resource: bool,
    /// Results still wanted.
    remaining: u64,
}

impl ListResults {
    /// Whether Terraform wants the full objects (`include_resource = true`); when not, only the identity and the
    /// display name of each are sent.
    pub fn include_resource(&self) -> bool {
        self.include_resource
    }

    /// How many more results Terraform will read.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Sends one object, given as its full state. Returns false when no more are wanted (the limit is reached,
    /// or Terraform stopped reading): the listing should then return.
    pub async fn push(&mut self, display_name: impl Into<String>, state: Value) -> bool {
        if self.remaining == 0 {
            return false;
        }
        let item = ListItem::Found {
            identity: self.identity.of(&state),
            display_name: display_name.into(),
            state: self.include_resource.then_some(state),
        };
        if self.sender.send(item).await.is_err() {
            self.remaining = 0;
            return false;
        }
        self.remaining -= 1;
        self.remaining > 0
    }

    /// Sends an error or warning. Terraform ends the listing at the first error. Returns false when no more is
    /// wanted.
    pub async fn diagnostic(&mut self, diagnostic: Diagnostic) -> bool {
        let is_error = diagnostic.is_error();
        if self
            .sender
            .send(ListItem::Diagnostic(diagnostic))
            .await
            .is_err()
            || is_error
        {
            self.remaining = 0;
        }
        self.remaining > 0
    }

    /// Sends every diagnostic of `diags`; false when no more is wanted.
    pub async fn diagnostics(&mut self, diags: Diagnostics) -> bool {
        for diagnostic in diags {
            if !self.diagnostic(diagnostic).await {
                return false;
            }
        }
        self.remaining > 0
    }
}

/// A list resource type with its schema, tied to the identity of the managed resource it lists.
pub struct ListRuntime<D> {
    list: Arc<dyn ListResource<D>>,
    typed: Typed,
    /// The listed resource's identity and object type; `Err` says why there is none (a provider bug, reported
    /// when Terraform lists).
    target: Result<(ResolvedIdentity, Type), String>,
}

/// The schema and checks of the `config` block.
impl<D: Send + Sync + 'static> Configurable for ListRuntime<D> {
    fn typed(&self) -> &Typed {
        &self.typed
    }

    fn check(&self, config: &Value, diags: &mut Diagnostics) {
        self.list.validate(config, diags);
    }

    /// Per-attribute and list-resource checks of a `config` block (null: no block).
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if !config.is_null() {
            validate_config(&self.schema().block, config, diags);
            self.check(config, diags);
        }
    }
}

impl<D: Send + Sync + 'static> ListRuntime<D> {
    /// Drives `list`, whose results are objects of type `object_type` identified by `identity` (`None` when the
    /// managed resource of the same name has no identity: listing then fails with an error).
    pub fn new(list: Arc<dyn ListResource<D>>, target: Option<(ResolvedIdentity, Type)>) -> Self {
        let typed = Typed::new(list.schema());
        let target = target.ok_or_else(|| {
            format!(
                "{} is not a managed resource type with an identity; this is a bug in the provider.",
                list.type_name()
            )
        });
        Self {
            list,
            typed,
            target,
        }
    }

    /// The listed type's name.
    pub fn type_name(&self) -> &'static str {
        self.list.type_name()
    }

    /// The type of the listed objects (for their encoding).
    pub fn object_type(&self) -> Option<&Type> {
        self.target.as_ref().ok().map(|(_, ty)| ty)
    }

    /// The type of the listed objects' identities (for their encoding).
    pub fn identity_type(&self) -> Option<&Type> {
        self.target.as_ref().ok().map(|(identity, _)| &identity.ty)
    }

    /// What is wrong with this list resource, for the provider's own tests.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.schema().block.problems();
        if let Err(problem) = &self.target {
            problems.push(problem.clone());
        }
        problems
    }

    /// Lists into a channel of at most `limit` results and returns its receiving end; the listing runs as its
    /// own task, holding `data`, until done, the limit is reached or the receiver is dropped.
    pub fn start(
        self: &Arc<Self>,
        ctx: Ctx<Arc<D>>,
        config: Value,
        include_resource: bool,
        limit: i64,
    ) -> mpsc::Receiver<ListItem> {
        // A few results buffered: the provider keeps working while Terraform reads, not much further.
        let (sender, receiver) = mpsc::channel(16);
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let identity = match &this.target {
                Ok((identity, _)) => identity.clone(),
                Err(problem) => {
                    let _ = sender
                        .send(ListItem::Diagnostic(Diagnostic::error(
                            "List resource without identity",
                            problem.clone(),
                        )))
                        .await;
                    return;
                }
            };
            let mut diags = Diagnostics::new();
            this.validate(&config, &mut diags);
            let mut results = ListResults {
                sender,
                identity,
                include_resource,
                remaining: u64::try_from(limit).unwrap_or(0),
            };
            if diags.has_errors() || results.remaining == 0 {
                results.diagnostics(diags).await;
                return;
            }
            results.diagnostics(diags).await;
            let data = Arc::clone(&ctx.data);
            let ctx = ctx.with_data(&*data);
            this.list.list(&ctx, &config, &mut results).await;
        });
        receiver
    }
}
