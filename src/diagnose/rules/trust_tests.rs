//! Tests of the trust verdict apart from time (issue 8): chains whose certificates were not
//! all valid at one instant.

#![allow(clippy::unwrap_used)]
