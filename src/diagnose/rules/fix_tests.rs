//! Tests of the accuracy of findings and fixes (issue 8): each reproduces a false finding or
//! a wrong fix and says what the admin must read instead.

#![allow(clippy::unwrap_used)]
