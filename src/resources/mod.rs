//! The resources and data sources of the provider, one module each, plus [`common`], the helpers they share (IP
//! blocks, composite ids, API call diagnostics, attribute values, the zone cache), and [`recovery`], the one path
//! for POSTs whose answer is lost and for task waits.

pub mod common;
pub mod deploy_check;
pub mod failover_ip_attachment;
pub mod failover_ips;
pub mod frontend;
pub mod load_balancer;
pub mod recovery;
pub mod refresh;
