//! Rules: the live probe joined with the model.

use time::OffsetDateTime;

use crate::diagnose::Finding;
use crate::exchange::model::{Config, Join};

/// The findings of the join.
pub fn check(config: &Config, join: &Join, now: OffsetDateTime) -> Vec<Finding> {
    let _ = (config, join, now);
    Vec::new()
}
